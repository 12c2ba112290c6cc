// The baseline: the classic busybox network-boot initramfs tarboot replaces, written the way a
// competent admin writes it. Load the NIC driver (insmod in dependency order), udhcpc with a
// script that configures the address, route and DNS, wget the root tarball to /tmp (the
// initramfs, i.e. RAM), unpack it with zstd | busybox tar into a tmpfs, delete the tarball,
// move /dev /proc /sys across and switch_root. It reads the same kernel parameters as tarboot
// (root=, rootsize=, init=), so both contenders boot with one command line.

export const BASELINE_STAGE = "BASELINE-STAGE";
export const BASELINE_FAIL = "BASELINE-FAIL";

/** udhcpc's event script (busybox ships none): address, default route, resolv.conf, host name. */
export const UDHCPC_SCRIPT = `#!/bin/sh
case "$1" in
  deconfig)
    ip -4 addr flush dev "$interface"
    ip link set "$interface" up
    ;;
  bound|renew)
    ip -4 addr flush dev "$interface"
    ip addr add "$ip/\${mask:-24}" \${broadcast:+broadcast "$broadcast"} dev "$interface"
    for r in $router; do ip route replace default via "$r" dev "$interface"; break; done
    : > /etc/resolv.conf
    [ -n "$domain" ] && echo "search $domain" >> /etc/resolv.conf
    for d in $dns; do echo "nameserver $d" >> /etc/resolv.conf; done
    [ -n "$hostname" ] && hostname "$hostname"
    ;;
esac
exit 0
`;

/**
 * The part every network-boot script shares: virtual filesystems, the kernel parameters (root=,
 * rootsize=, init=), the NIC driver and a DHCP lease. Defines `stage NAME` (prints the guest's
 * uptime) and `fail MESSAGE` (prints it and reboots, which ends a -no-reboot QEMU).
 */
export function networkPrelude(kernelVersion: string, modules: readonly string[]): string {
  return `#!/bin/sh
export PATH=/bin:/sbin:/usr/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
stage() { read up idle < /proc/uptime; echo "${BASELINE_STAGE} $1 $up"; }
fail() { echo "${BASELINE_FAIL} $*"; reboot -f; }
stage start

url=
init=/sbin/init
size=50%
for arg in $(cat /proc/cmdline); do
  case "$arg" in
    root=http://*) url=\${arg#root=} ;;
    rootsize=*) size=\${arg#rootsize=} ;;
    init=*) init=\${arg#init=} ;;
  esac
done
[ -n "$url" ] || fail "no root=http://... on the kernel command line"

for m in ${modules.join(" ")}; do
  insmod /lib/modules/${kernelVersion}/$m || fail "insmod $m"
done
stage modules

ip link set lo up
udhcpc -i eth0 -s /etc/udhcpc.script -q -f -n -t 10 -T 1 || fail "no DHCP lease on eth0"
stage network
`;
}

/** /init for `modules` (paths under /lib/modules/VERSION, dependencies first). */
export function baselineInit(kernelVersion: string, modules: readonly string[]): string {
  return `${networkPrelude(kernelVersion, modules)}
mount -t tmpfs -o size=$size,mode=0755 root /root || fail "cannot mount the root tmpfs"
wget -q -O /tmp/root.tar.zst "$url" || fail "wget $url"
stage download
zstd -dcq /tmp/root.tar.zst | tar -xf - -C /root || fail "unpacking $url"
rm -f /tmp/root.tar.zst
stage unpack
# MemAvailable before switch_root deletes the initramfs (shell builtins only: no fork).
while read key value unit; do [ "$key" = MemAvailable: ] && break; done < /proc/meminfo
echo "${BASELINE_STAGE}-MEM $value"

for m in dev proc sys; do
  mkdir -p /root/$m && mount -o move /$m /root/$m
done
exec switch_root /root "$init"
`;
}
