# http_helper.bash - start and stop tests/http_server.py for the HTTP tests.
# SPDX-License-Identifier: BSD-2-Clause
#
# http_server_start NAME [ARG...]: start the server in the background
# (listening on 127.0.0.1 only, on a port it picks), wait at most 10 s
# for it to print its port, and set ${NAME}_PORT and ${NAME}_PID.  It
# stops by itself after 600 s whatever happens; http_server_stop NAME
# stops it sooner.

http_server_start() {
	local name=$1 portfile i port
	shift
	portfile="$BATS_FILE_TMPDIR/$name.port"
	python3 "$REPO/tests/http_server.py" --lifetime 600 "$@" \
	    >"$portfile" 2>"$BATS_FILE_TMPDIR/$name.err" 3>&- &
	printf -v "${name}_PID" '%s' "$!"
	export "${name}_PID"
	for i in $(seq 1 100); do
		[ -s "$portfile" ] && break
		sleep 0.1
	done
	port=$(head -n 1 "$portfile")
	if [ -z "$port" ]; then
		echo "http_server_start: the server did not start:" >&2
		cat "$BATS_FILE_TMPDIR/$name.err" >&2
		return 1
	fi
	printf -v "${name}_PORT" '%s' "$port"
	export "${name}_PORT"
}

http_server_stop() {
	local pidvar="${1}_PID"

	if [ -n "${!pidvar:-}" ]; then
		kill "${!pidvar}" 2>/dev/null || true
		wait "${!pidvar}" 2>/dev/null || true
	fi
}
