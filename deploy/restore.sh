#!/usr/bin/env bash
# Restore a dump written by deploy/backup.sh into an EMPTY PostgreSQL database:
#
#   createdb -h db -U postgres helpdesk_restored
#   HELPDESK_DATABASE_URL=postgresql+psycopg://helpdesk@db:5432/helpdesk_restored \
#     deploy/restore.sh /var/backups/helpdesk/helpdesk-20261202T010000Z.dump
#
# It refuses a database that already has the helpdesk's tables (restore beside the live
# database, check it, then point HELPDESK_DATABASE_URL at it). The whole restore is one
# transaction: it is complete or not there at all.
set -euo pipefail

dump="${1:?usage: restore.sh DUMP_FILE}"
url="${HELPDESK_DATABASE_URL:?set HELPDESK_DATABASE_URL to the empty database to restore into}"
url="${url/+psycopg2/}"
url="${url/+psycopg/}"
test -r "$dump" || { echo "restore.sh: cannot read $dump" >&2; exit 2; }
tables="$(psql --no-psqlrc --tuples-only --no-align --dbname="$url" \
  -c "SELECT count(*) FROM information_schema.tables WHERE table_name = 'alembic_version'")"
if [ "$tables" != "0" ]; then
  echo "restore.sh: the database already holds the helpdesk's tables; restore into an empty one" >&2
  exit 2
fi
pg_restore --no-owner --no-privileges --single-transaction --exit-on-error --dbname="$url" "$dump"
psql --no-psqlrc --tuples-only --no-align --dbname="$url" \
  -c "SELECT 'restored at migration ' || version_num FROM alembic_version"
