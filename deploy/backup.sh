#!/usr/bin/env bash
# Back up the helpdesk's PostgreSQL database (records, staff accounts, audit log, analytics,
# handoffs, catalogue releases, and Rasa's conversations when its tracker store is there) as
# one pg_dump file in custom format, and keep the newest HELPDESK_BACKUP_KEEP of them.
#
#   HELPDESK_DATABASE_URL=postgresql+psycopg://helpdesk@db:5432/helpdesk deploy/backup.sh
#
# HELPDESK_BACKUP_DIR (default /var/backups/helpdesk) is created readable by this user only.
# A dump is written beside the others under a temporary name, checked to be readable by
# pg_restore, then renamed: a failed run never leaves a half-written file that looks whole.
# A password, if any, comes from ~/.pgpass or PGPASSWORD, never from the command line.
# Restore with deploy/restore.sh. docs/deployment.md has the schedule.
set -euo pipefail

url="${HELPDESK_DATABASE_URL:?set HELPDESK_DATABASE_URL to the PostgreSQL database to back up}"
url="${url/+psycopg2/}"
url="${url/+psycopg/}"
case "$url" in
  postgresql://*|postgres://*) ;;
  *) echo "backup.sh: HELPDESK_DATABASE_URL is not a PostgreSQL URL" >&2; exit 2 ;;
esac
dir="${HELPDESK_BACKUP_DIR:-/var/backups/helpdesk}"
keep="${HELPDESK_BACKUP_KEEP:-14}"

umask 077
mkdir -p "$dir"
chmod 700 "$dir"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
partial="$dir/.helpdesk-$stamp.dump.partial"
trap 'rm -f "$partial"' EXIT
pg_dump --format=custom --no-owner --no-privileges --file="$partial" --dbname="$url"
pg_restore --list "$partial" > /dev/null
mv "$partial" "$dir/helpdesk-$stamp.dump"
echo "$dir/helpdesk-$stamp.dump"

# the newest $keep dumps stay
mapfile -t old < <(ls -1t "$dir"/helpdesk-*.dump | tail -n +"$((keep + 1))")
if ((${#old[@]})); then
  rm -f -- "${old[@]}"
fi
