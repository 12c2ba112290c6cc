// The init every benchmark root carries at /bench/init (both contenders boot it with
// init=/bench/init): it prints tarboot's timeline if there is one, then one marker line with the
// guest's uptime and free memory, and stops. Plain POSIX sh, so dash (Debian) and busybox run it.

export const MARKER = "BENCH-BOOTED";
export const JSON_BEGIN = "BENCH-JSON-BEGIN";
export const JSON_END = "BENCH-JSON-END";
export const INIT_PATH = "/bench/init";

export const MARKER_INIT = `#!/bin/sh
PATH=/bin:/sbin:/usr/bin:/usr/sbin
export PATH
[ -r /proc/uptime ] || mount -t proc proc /proc
if [ -r /run/tarboot/boot.json ]; then
  echo ${JSON_BEGIN}
  cat /run/tarboot/boot.json
  echo ${JSON_END}
fi
read up idle < /proc/uptime
set -- $(grep '^MemAvailable:' /proc/meminfo)
echo "${MARKER} uptime=$up memavail_kb=$2"
poweroff -f 2>/dev/null
sleep 600
`;
