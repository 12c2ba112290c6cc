// A tagged switch port for a QEMU guest, where the host kernel has no 802.1Q: the guest's NIC and
// QEMU's user network each exchange raw Ethernet frames with this relay over loopback UDP (QEMU's
// `-netdev socket,udp=`; the user network joins through a hub port). Frames from the guest pass
// only when tagged with the relay's VLAN ID, untagged onwards; frames from the user network get
// the tag. So the guest reaches DHCP and the host only through its VLAN interface.
import { createSocket, type Socket } from "node:dgram";
import { freeUdpPort } from "../../src/testing/udp-port";

const TPID = 0x8100;

/** The VLAN ID of an 802.1Q-tagged frame, or null for an untagged one. */
export function vlanOf(frame: Buffer): number | null {
  return frame.length >= 18 && frame.readUInt16BE(12) === TPID ? frame.readUInt16BE(14) & 0x0fff : null;
}

/** The frame without its 802.1Q tag. */
export function untag(frame: Buffer): Buffer {
  return Buffer.concat([frame.subarray(0, 12), frame.subarray(16)]);
}

/** The frame with an 802.1Q tag for `vid` (priority 0) after the two addresses. */
export function tag(frame: Buffer, vid: number): Buffer {
  const t = Buffer.alloc(4);
  t.writeUInt16BE(TPID, 0);
  t.writeUInt16BE(vid, 2);
  return Buffer.concat([frame.subarray(0, 12), t, frame.subarray(12)]);
}

export interface VlanRelay {
  /** QEMU arguments for the guest's first NIC and the user network behind the relay. */
  qemuArgs(userOptions?: string): string[];
  /** Frames seen from the guest: tagged with our ID (passed), untagged or another ID (dropped). */
  readonly counts: { tagged: number; untagged: number; otherVlan: number; toGuest: number };
  close(): Promise<void>;
}

async function bound(): Promise<{ sock: Socket; port: number }> {
  const sock = createSocket("udp4");
  await new Promise<void>((r) => sock.bind(0, "127.0.0.1", r));
  return { sock, port: sock.address().port };
}

export async function startVlanRelay(vid: number): Promise<VlanRelay> {
  const guest = await bound(); // QEMU's guest NIC sends here
  const user = await bound(); // QEMU's user network sends here
  const guestListen = await freeUdpPort();
  const userListen = await freeUdpPort();
  const counts = { tagged: 0, untagged: 0, otherVlan: 0, toGuest: 0 };
  guest.sock.on("message", (frame) => {
    const v = vlanOf(frame);
    if (v === null) counts.untagged++;
    else if (v !== vid) counts.otherVlan++;
    else {
      counts.tagged++;
      user.sock.send(untag(frame), userListen, "127.0.0.1");
    }
  });
  user.sock.on("message", (frame) => {
    counts.toGuest++;
    guest.sock.send(tag(frame, vid), guestListen, "127.0.0.1");
  });
  const udp = (id: string, send: number, listen: number) => `socket,id=${id},udp=127.0.0.1:${send},localaddr=127.0.0.1:${listen}`;
  return {
    counts,
    qemuArgs: (userOptions = "") => [
      "-netdev", udp("n0", guest.port, guestListen),
      "-device", "virtio-net-pci,netdev=n0",
      "-netdev", `user,id=u0${userOptions ? `,${userOptions}` : ""}`,
      "-netdev", "hubport,id=hu,hubid=0,netdev=u0",
      "-netdev", udp("r0", user.port, userListen),
      "-netdev", "hubport,id=hr,hubid=0,netdev=r0",
    ],
    close: async () => {
      await Promise.all([guest.sock, user.sock].map((s) => new Promise<void>((r) => s.close(() => r()))));
    },
  };
}
