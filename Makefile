# dmo - a data middle office as a Unix toolkit.  Plain GNU make.
# SPDX-License-Identifier: BSD-2-Clause

PREFIX	?= /usr/local
BINDIR	?= $(PREFIX)/bin
MANDIR	?= $(PREFIX)/share/man
DATADIR	?= $(PREFIX)/share
CC	?= cc
CFLAGS	?= -O2 -g
PKG_CONFIG ?= pkg-config

PROGRAMS = dmo-extract dmo-load dmo-clean dmo-encrypt dmo-profile dmo-transform
PKGS	 = jansson libarchive sqlite3 libcurl libpq libcrypto libutf8proc libpcre2-8

WARNINGS = -std=c11 -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes \
	   -Wmissing-prototypes -Wformat=2 -Wwrite-strings -Wvla \
	   -Wno-format-nonliteral
ifdef DEVELOPER
WARNINGS += -Werror
endif
# Each program links only the libraries its objects use.
LDFLAGS	+= -Wl,--as-needed
ifdef SANITIZE
CFLAGS	+= -fsanitize=$(SANITIZE) -fno-sanitize-recover=all -fno-omit-frame-pointer
LDFLAGS	+= -fsanitize=$(SANITIZE)
endif

DMO_CPPFLAGS = -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -iquote common \
	   $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
DMO_LIBS = -lcsv $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null || echo -ljansson -larchive -lsqlite3 -lcurl -lpq -lcrypto -lutf8proc -lpcre2-8) -lm

ALL_CFLAGS = $(DMO_CPPFLAGS) $(CPPFLAGS) $(WARNINGS) $(CFLAGS) -MMD -MP

COMMON_SRC = $(sort $(wildcard common/*.c))
COMMON_OBJ = $(COMMON_SRC:.c=.o)
UNIT_SRC   = $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN   = $(UNIT_SRC:.c=)
FUZZ_SRC   = $(sort $(wildcard fuzz/fuzz_*.c))
FUZZ_REPLAY = $(FUZZ_SRC:fuzz/%.c=fuzz/bin/replay/%)
BINS	   = $(addprefix bin/,$(PROGRAMS))

all: $(BINS)

common/libdmo.a: $(COMMON_OBJ)
	rm -f $@
	$(AR) rcs $@ $(COMMON_OBJ)

%.o: %.c
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

bin/%: cmd/%.o common/libdmo.a
	@mkdir -p bin
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< common/libdmo.a $(DMO_LIBS)

tests/unit/%: tests/unit/%.o common/libdmo.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< common/libdmo.a $(DMO_LIBS)

# The fuzz targets as plain programs that replay their corpus (fuzz/replay,
# tests/fuzz.bats); `make fuzz` builds them with libFuzzer instead.
fuzz/bin/replay/%: fuzz/%.c fuzz/standalone.c fuzz/fuzzhelp.h tests/unit/testhelp.h \
    common/libdmo.a
	@mkdir -p fuzz/bin/replay
	$(CC) $(DMO_CPPFLAGS) $(CPPFLAGS) $(WARNINGS) $(CFLAGS) $(LDFLAGS) \
	    -o $@ $< fuzz/standalone.c common/libdmo.a $(DMO_LIBS)

deps:
	@sh scripts/install-deps

check: deps
	$(MAKE) all units fuzz-replay
	sh scripts/check

units: $(UNIT_BIN)

fuzz-replay: $(FUZZ_REPLAY)

demo: deps
	$(MAKE) all
	sh scripts/demo

bench: all
	sh bench/run

fuzz: deps
	sh fuzz/run $(FUZZTIME)

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
	    $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man7 \
	    $(DESTDIR)$(DATADIR)/bash-completion/completions \
	    $(DESTDIR)$(DATADIR)/zsh/vendor-completions
	install -m 755 $(BINS) $(DESTDIR)$(BINDIR)
	install -m 644 man/*.1 $(DESTDIR)$(MANDIR)/man1
	install -m 644 man/*.5 $(DESTDIR)$(MANDIR)/man5
	install -m 644 man/*.7 $(DESTDIR)$(MANDIR)/man7
	for p in $(PROGRAMS); do \
	    install -m 644 completions/dmo.bash \
		$(DESTDIR)$(DATADIR)/bash-completion/completions/$$p; \
	done
	install -m 644 completions/_dmo $(DESTDIR)$(DATADIR)/zsh/vendor-completions/_dmo

clean:
	rm -rf bin common/*.o common/*.d common/libdmo.a cmd/*.o cmd/*.d \
	    tests/unit/*.o tests/unit/*.d $(UNIT_BIN) fuzz/bin

.PHONY: all check units fuzz-replay demo bench fuzz install clean deps
.SECONDARY:

-include $(wildcard common/*.d cmd/*.d tests/unit/*.d)
