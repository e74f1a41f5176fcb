#!/bin/sh
# seed-frame.sh - write the seeds for fuzz_frame into fuzz/corpus/frame.
# SPDX-License-Identifier: BSD-2-Clause
#
# The seeds are binary streams (dmo-frame(5)); the unit test writes them
# with the real writer, so they follow the format when it changes.
set -eu
cd "$(dirname "$0")/.."
make -s tests/unit/test_frame
mkdir -p fuzz/corpus/frame
tests/unit/test_frame --seeds fuzz/corpus/frame >/dev/null
ls -l fuzz/corpus/frame
