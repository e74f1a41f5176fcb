#!/bin/sh
# pg_server.sh - a private PostgreSQL server for tests and benchmarks.
# SPDX-License-Identifier: BSD-2-Clause
#
# usage: sh tests/pg_server.sh start DIR    (prints the connection URI)
#        sh tests/pg_server.sh stop DIR
#        sh tests/pg_server.sh bindir       (status 1: no server binaries)
#
# start makes DIR (which must not exist; keep its path short, a Unix
# socket path holds at most 107 bytes), runs initdb into DIR/data with
# trust authentication and a superuser called dmo (and a role dmo_pw
# that must give the password "dmo-secret"), and starts the server
# listening on a Unix socket in DIR only (listen_addresses = ''), so
# nothing on the machine's network sees it.  PostgreSQL refuses to run as
# root: then DIR belongs to the user nobody and the server runs as nobody
# (setpriv, or runuser).  It prints a libpq URI such as
# postgresql:///postgres?host=/tmp/dmo-pg.abc&user=dmo on stdout.  stop shuts
# the server down (fast mode) and removes DIR.  Server binaries come from
# `pg_config --bindir`, else the newest /usr/lib/postgresql/*/bin.

set -u

prog=pg_server.sh

bindir() {
	local_d=
	if command -v pg_config >/dev/null 2>&1; then
		local_d=$(pg_config --bindir 2>/dev/null)
		if [ -x "$local_d/initdb" ] && [ -x "$local_d/pg_ctl" ]; then
			echo "$local_d"
			return 0
		fi
	fi
	for local_d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null |
	    sort -V -r); do
		if [ -x "$local_d/initdb" ] && [ -x "$local_d/pg_ctl" ]; then
			echo "$local_d"
			return 0
		fi
	done
	return 1
}

# as_owner CMD...: run CMD as the owner of the server's files.
as_owner() {
	if [ "$(id -u)" -ne 0 ]; then
		"$@"
	elif command -v setpriv >/dev/null 2>&1; then
		setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"
	else
		runuser -u nobody -- "$@"
	fi
}

die() {
	echo "$prog: $*" >&2
	exit 1
}

start() {
	dir=$1
	bin=$(bindir) || die "no PostgreSQL server binaries (initdb, pg_ctl)"
	[ ! -e "$dir" ] || die "$dir: already exists"
	mkdir -m 700 "$dir" || exit 1
	[ "$(id -u)" -ne 0 ] || chown 65534:65534 "$dir" || exit 1
	# HOME and the cwd must be somewhere nobody can read.
	cd "$dir" || exit 1
	as_owner env HOME="$dir" "$bin/initdb" -D "$dir/data" -U dmo \
	    --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
	    { cat "$dir/initdb.log" >&2; die "initdb failed"; }
	# Trust on the socket, but a password for the role dmo_pw, so that
	# tests can check how a client gets and reports passwords.
	printf '%s\n' 'local all dmo_pw scram-sha-256' 'local all all trust' \
	    >"$dir/data/pg_hba.conf" || exit 1
	as_owner env HOME="$dir" "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" \
	    -w -t 60 -o "-c listen_addresses='' -k $dir -c fsync=off \
-c synchronous_commit=off -c full_page_writes=off \
-c max_connections=40 -c shared_buffers=64MB" start >/dev/null 2>&1 ||
	    { cat "$dir/log" >&2; die "the server did not start"; }
	"$bin/psql" -Xq "postgresql:///postgres?host=$dir&user=dmo" \
	    -c "CREATE ROLE dmo_pw LOGIN PASSWORD 'dmo-secret'" >/dev/null ||
	    die "cannot create the role dmo_pw"
	echo "postgresql:///postgres?host=$dir&user=dmo"
}

stop() {
	dir=$1
	[ -d "$dir" ] || return 0
	if bin=$(bindir) && [ -f "$dir/data/postmaster.pid" ]; then
		(cd "$dir" && as_owner "$bin/pg_ctl" -D "$dir/data" -m fast \
		    -w -t 60 stop >/dev/null 2>&1)
	fi
	rm -rf "$dir"
}

case ${1:-} in
start)
	[ $# -eq 2 ] || die "usage: $prog start DIR"
	start "$2" ;;
stop)
	[ $# -eq 2 ] || die "usage: $prog stop DIR"
	stop "$2" ;;
bindir)
	bindir ;;
*)
	die "usage: $prog start DIR | stop DIR | bindir" ;;
esac
