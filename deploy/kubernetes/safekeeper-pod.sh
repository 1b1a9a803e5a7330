#!/bin/sh
# Starts the safekeeper of one StatefulSet pod. A pod is named <set>-<ordinal> (safekeeper-0,
# safekeeper-1, ...) and keeps its name, volume and DNS name across restarts and reschedules:
# node id = ordinal + 1, and the advertised host is its name under the headless Service. The
# rest is the shared configuration. SAFEKEEPER names the program (tests print the command line
# instead of running it).
set -eu

service="${SAFEKEEPER_SERVICE:-safekeeper}"
pod="${HOSTNAME:?HOSTNAME must be the pod name}"
ordinal="${pod##*-}"
case "$ordinal" in
  '' | *[!0-9]*)
    echo "safekeeper-pod.sh: pod name '$pod' does not end in -<ordinal>" >&2
    exit 2
    ;;
esac

exec "${SAFEKEEPER:-safekeeper}" \
  --config /etc/safekeeper/config/safekeeper.conf \
  --id "$((ordinal + 1))" \
  --advertise "$pod.$service"
