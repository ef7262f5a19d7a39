#!/usr/bin/env bash
# Start a throwaway PostgreSQL cluster for tests and CI.
#
# Installs Debian's postgresql when no server binaries are found, creates a
# cluster outside the repository (initdb + pg_ctl as the postgres user when
# run as root), listening on 127.0.0.1 at a non-default port, creates the
# database and prints the variables to export:
#
#     eval "$(scripts/postgres_start.sh)"
#
# Settings (environment): RW_PG_PORT (default 54329), RW_PG_DATA (default
# /tmp/retail_warehouse_pg_<port>), RW_PG_DATABASE (default retail_warehouse),
# RW_BI_ROLE and RW_BI_PASSWORD (default bi_reader and bi_reader: the
# read-only login role of BI tools, created when missing; dbt grants it SELECT
# on the marts, see docs/bi.md).
# The cluster trades durability for speed (fsync off): it is for tests only.
# A user with their own server skips this script and sets PG* variables.
set -euo pipefail

port="${RW_PG_PORT:-54329}"
data_dir="${RW_PG_DATA:-/tmp/retail_warehouse_pg_${port}}"
database="${RW_PG_DATABASE:-retail_warehouse}"
log_file="${data_dir}.log"

log() { echo "postgres_start: $*" >&2; }

find_bindir() {
    local candidate
    for candidate in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [[ -x "${candidate}/pg_ctl" && -x "${candidate}/initdb" ]]; then
            echo "${candidate}"
            return 0
        fi
    done
    return 1
}

if ! bindir="$(find_bindir)"; then
    log "PostgreSQL server not found; installing Debian's postgresql"
    if [[ "$(id -u)" -eq 0 ]]; then sudo_cmd=(); else sudo_cmd=(sudo); fi
    export DEBIAN_FRONTEND=noninteractive
    "${sudo_cmd[@]}" apt-get update -qq >&2
    "${sudo_cmd[@]}" apt-get install -y -qq postgresql >&2
    bindir="$(find_bindir)"
fi

# As root the server must run as an unprivileged user: Debian's postgres.
if [[ "$(id -u)" -eq 0 ]]; then
    run_as=(runuser -u postgres --)
    owner="postgres"
else
    run_as=()
    owner="$(id -un)"
fi

if [[ ! -s "${data_dir}/PG_VERSION" ]]; then
    log "initialising cluster in ${data_dir}"
    mkdir -p "${data_dir}"
    chown "${owner}" "${data_dir}"
    chmod 700 "${data_dir}"
    "${run_as[@]}" "${bindir}/initdb" -D "${data_dir}" -U postgres \
        --auth=trust --encoding=UTF8 --locale=C.UTF-8 >&2
    cat >> "${data_dir}/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = ${port}
unix_socket_directories = '${data_dir}'
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 512MB
work_mem = 64MB
maintenance_work_mem = 512MB
max_wal_size = 4GB
CONF
fi

if ! "${run_as[@]}" "${bindir}/pg_ctl" -D "${data_dir}" status >/dev/null 2>&1; then
    touch "${log_file}"
    chown "${owner}" "${log_file}"
    "${run_as[@]}" "${bindir}/pg_ctl" -D "${data_dir}" -l "${log_file}" -w -t 60 start >&2
fi

psql_cmd=(psql -h 127.0.0.1 -p "${port}" -U postgres -d postgres -v ON_ERROR_STOP=1 -qtA)
if [[ "$("${psql_cmd[@]}" -c "select 1 from pg_database where datname = '${database}'")" != "1" ]]; then
    "${psql_cmd[@]}" -c "create database ${database}" >&2
fi
# The BI tools' role (docs/bi.md): a login with a password, no other rights
# (not even temporary tables, below);
# dbt grants it USAGE on marts and ml and SELECT on their tables. Roles belong
# to the cluster, so every database here (test databases too) can grant it.
bi_role="${RW_BI_ROLE:-bi_reader}"
bi_password="${RW_BI_PASSWORD:-bi_reader}"
role_exists="$("${psql_cmd[@]}" -v role="${bi_role}" <<'SQL'
select 1 from pg_roles where rolname = :'role';
SQL
)"
if [[ "${role_exists}" != "1" ]]; then
    # The password goes to psql on stdin, quoted here as an SQL literal (doubled
    # quotes; backslashes are plain characters in standard strings): as a psql
    # argument (-v password=...) it was in /proc/<pid>/cmdline for every local user.
    role_literal="${bi_role//\"/\"\"}"
    password_literal="${bi_password//\'/\'\'}"
    "${psql_cmd[@]}" >&2 <<SQL
create role "${role_literal}" login password '${password_literal}'
    nosuperuser nocreatedb nocreaterole noinherit;
SQL
    log "created role ${bi_role} (login, read-only grants come from dbt)"
fi
# PostgreSQL grants TEMP (temporary tables) on a new database to PUBLIC:
# take it away, so the BI role cannot create even temporary tables. The owner
# (postgres here) keeps it; dbt's build does the same on every database it
# builds (macros/bi/grant_bi_schema_usage.sql).
"${psql_cmd[@]}" -v database="${database}" -v role="${bi_role}" >&2 <<'SQL'
revoke temporary on database :"database" from public;
revoke temporary on database :"database" from :"role";
SQL
log "running on 127.0.0.1:${port}, database ${database}"

cat <<VARS
export PGHOST=127.0.0.1
export PGPORT=${port}
export PGUSER=postgres
export PGPASSWORD=
export PGDATABASE=${database}
VARS
