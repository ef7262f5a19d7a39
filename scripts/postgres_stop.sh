#!/usr/bin/env bash
# Stop the throwaway cluster started by postgres_start.sh.
# With --purge, also delete its data directory.
set -euo pipefail

port="${RW_PG_PORT:-54329}"
data_dir="${RW_PG_DATA:-/tmp/retail_warehouse_pg_${port}}"

bindir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r | head -n 1)"
if [[ -z "${bindir}" || ! -d "${data_dir}" ]]; then
    echo "postgres_stop: no cluster at ${data_dir}" >&2
    exit 0
fi
if [[ "$(id -u)" -eq 0 ]]; then run_as=(runuser -u postgres --); else run_as=(); fi
if "${run_as[@]}" "${bindir}/pg_ctl" -D "${data_dir}" status >/dev/null 2>&1; then
    "${run_as[@]}" "${bindir}/pg_ctl" -D "${data_dir}" -m fast -w stop >&2
fi
if [[ "${1:-}" == "--purge" ]]; then
    rm -rf "${data_dir}" "${data_dir}.log"
    echo "postgres_stop: removed ${data_dir}" >&2
fi
