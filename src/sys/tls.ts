// A blocking TLS client over a connected TCP socket, for syslog over TLS (RFC 5425): every console
// line must have left before an exec, a reboot or the rescue shell, so sends are synchronous, which
// node:tls cannot be. The OpenSSL is Node's own, linked into the executable with its symbols
// exported for addons: no library joins the initramfs, and it is the one https:// already trusts.
// The server's certificate is checked against the CAs given, and its name (or IP address) against
// the server as written; TLS 1.2 at least, as RFC 9662 asks of syslog over TLS.
import { isIP } from "node:net";
import { describe, errnoName, koffi } from "./libc";
import type { BlockingTcp } from "./socket";

type Pointer = unknown;

interface OpenSsl {
  clientMethod: () => Pointer;
  ctxNew: (method: Pointer) => Pointer;
  ctxFree: (ctx: Pointer) => void;
  ctxCtrl: (ctx: Pointer, cmd: number, larg: number, parg: Pointer) => number;
  ctxSetVerify: (ctx: Pointer, mode: number, cb: Pointer) => void;
  ctxStore: (ctx: Pointer) => Pointer;
  bioMem: (buf: Buffer, len: number) => Pointer;
  bioFree: (bio: Pointer) => number;
  readX509: (bio: Pointer, x: Pointer, cb: Pointer, u: Pointer) => Pointer;
  x509Free: (x: Pointer) => void;
  storeAdd: (store: Pointer, x: Pointer) => number;
  sslNew: (ctx: Pointer) => Pointer;
  sslFree: (ssl: Pointer) => void;
  setFd: (ssl: Pointer, fd: number) => number;
  setHost: (ssl: Pointer, name: string) => number;
  param: (ssl: Pointer) => Pointer;
  setIp: (param: Pointer, ip: string) => number;
  sslCtrl: (ssl: Pointer, cmd: number, larg: number, parg: string) => number;
  connect: (ssl: Pointer) => number;
  write: (ssl: Pointer, buf: Buffer, len: number) => number;
  shutdown: (ssl: Pointer) => number;
  getError: (ssl: Pointer, ret: number) => number;
  verifyResult: (ssl: Pointer) => number;
  verifyText: (code: number) => string;
  errGet: () => number;
  errText: (code: number, buf: Buffer, len: number) => void;
  errClear: () => void;
}

let bound: OpenSsl | undefined;

/** Node's OpenSSL, from the running executable's own symbols. */
function openssl(): OpenSsl {
  if (bound) return bound;
  const l = koffi.load(null as unknown as string);
  bound = {
    clientMethod: l.func("const void *TLS_client_method(void)"),
    ctxNew: l.func("void *SSL_CTX_new(const void *method)"),
    ctxFree: l.func("void SSL_CTX_free(void *ctx)"),
    ctxCtrl: l.func("long SSL_CTX_ctrl(void *ctx, int cmd, long larg, void *parg)"),
    ctxSetVerify: l.func("void SSL_CTX_set_verify(void *ctx, int mode, void *cb)"),
    ctxStore: l.func("void *SSL_CTX_get_cert_store(const void *ctx)"),
    bioMem: l.func("void *BIO_new_mem_buf(const void *buf, int len)"),
    bioFree: l.func("int BIO_free(void *bio)"),
    readX509: l.func("void *PEM_read_bio_X509(void *bio, void *x, void *cb, void *u)"),
    x509Free: l.func("void X509_free(void *x)"),
    storeAdd: l.func("int X509_STORE_add_cert(void *store, void *x)"),
    sslNew: l.func("void *SSL_new(void *ctx)"),
    sslFree: l.func("void SSL_free(void *ssl)"),
    setFd: l.func("int SSL_set_fd(void *ssl, int fd)"),
    setHost: l.func("int SSL_set1_host(void *ssl, const char *name)"),
    param: l.func("void *SSL_get0_param(void *ssl)"),
    setIp: l.func("int X509_VERIFY_PARAM_set1_ip_asc(void *param, const char *ip)"),
    sslCtrl: l.func("long SSL_ctrl(void *ssl, int cmd, long larg, const char *parg)"),
    connect: l.func("int SSL_connect(void *ssl)"),
    write: l.func("int SSL_write(void *ssl, const void *buf, int len)"),
    shutdown: l.func("int SSL_shutdown(void *ssl)"),
    getError: l.func("int SSL_get_error(const void *ssl, int ret)"),
    verifyResult: l.func("long SSL_get_verify_result(const void *ssl)"),
    verifyText: l.func("const char *X509_verify_cert_error_string(long code)"),
    errGet: l.func("unsigned long ERR_get_error(void)"),
    errText: l.func("void ERR_error_string_n(unsigned long e, void *buf, size_t len)"),
    errClear: l.func("void ERR_clear_error(void)"),
  };
  return bound;
}

const SSL_VERIFY_PEER = 1;
const SSL_CTRL_SET_MIN_PROTO_VERSION = 123;
const TLS1_2_VERSION = 0x0303;
const SSL_CTRL_SET_TLSEXT_HOSTNAME = 55;
const TLSEXT_NAMETYPE_HOST_NAME = 0;
const SSL_ERROR_SSL = 1;
const SSL_ERROR_WANT_READ = 2;
const SSL_ERROR_WANT_WRITE = 3;
const SSL_ERROR_SYSCALL = 5;
const SSL_ERROR_ZERO_RETURN = 6;
const X509_V_OK = 0;

/** What OpenSSL's error queue says (emptied, so that Node's own TLS never sees our errors). */
function queuedErrors(o: OpenSsl): string {
  const texts: string[] = [];
  const buf = Buffer.alloc(256);
  for (let e = o.errGet(); e !== 0; e = o.errGet()) {
    o.errText(e, buf, buf.length);
    const text = buf.toString("latin1", 0, buf.indexOf(0));
    // "error:0A000086:SSL routines::certificate verify failed" -> its reason.
    texts.push(text.split(":").slice(4).join(":") || text);
  }
  return texts.join("; ");
}

/** The CAs and settings every connection shares: built once, since reading ~140 CA certificates is not free under emulation. */
export class TlsClientContext {
  private constructor(
    readonly o: OpenSsl,
    readonly ctx: Pointer,
  ) {}

  static create(caPem: string[]): TlsClientContext {
    const o = openssl();
    o.errClear();
    const ctx = o.ctxNew(o.clientMethod());
    if (!ctx) throw new Error(`cannot make a TLS context: ${queuedErrors(o)}`);
    try {
      o.ctxCtrl(ctx, SSL_CTRL_SET_MIN_PROTO_VERSION, TLS1_2_VERSION, null);
      o.ctxSetVerify(ctx, SSL_VERIFY_PEER, null);
      const store = o.ctxStore(ctx);
      for (const pem of caPem) {
        const text = Buffer.from(pem);
        const bio = o.bioMem(text, text.length);
        const cert = o.readX509(bio, null, null, null);
        o.bioFree(bio);
        if (!cert) throw new Error(`a CA certificate does not parse: ${queuedErrors(o)}`);
        o.storeAdd(store, cert);
        o.x509Free(cert);
      }
      // The same CA twice (a site bundle repeating a built-in one) is not an error.
      o.errClear();
      return new TlsClientContext(o, ctx);
    } catch (err) {
      o.ctxFree(ctx);
      o.errClear();
      throw err;
    }
  }
}

export class BlockingTls {
  private constructor(
    private readonly o: OpenSsl,
    private ssl: Pointer,
    private readonly tcp: BlockingTcp,
  ) {}

  /**
   * The TLS handshake over `tcp` (blocking, bounded by the socket's timeouts); `name` is the server
   * as the operator wrote it (a host name, or an IP address), which its certificate must name.
   */
  static connect(tcp: BlockingTcp, name: string, context: TlsClientContext): BlockingTls {
    const o = context.o;
    o.errClear();
    const ssl = o.sslNew(context.ctx);
    try {
      if (!ssl || o.setFd(ssl, tcp.fd) !== 1) throw new Error(`TLS to ${tcp.target}: cannot set up the connection: ${queuedErrors(o)}`);
      if (isIP(name) !== 0) {
        o.setIp(o.param(ssl), name);
      } else {
        o.setHost(ssl, name);
        // SNI, for a server that holds several names' certificates.
        o.sslCtrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_HOST_NAME, name);
      }
      const ret = o.connect(ssl);
      if (ret !== 1) {
        const verify = o.verifyResult(ssl);
        const why = verify !== X509_V_OK ? `the server's certificate is not trusted: ${o.verifyText(verify)}` : describeFailure(o, o.getError(ssl, ret), "handshake");
        o.errClear();
        throw new Error(`TLS to ${tcp.target} (${name}): ${why}`);
      }
      return new BlockingTls(o, ssl, tcp);
    } catch (err) {
      if (ssl) o.sslFree(ssl);
      throw err;
    }
  }

  /** Sends all of `data` as TLS records, or throws (the connection is then unusable). */
  send(data: Buffer): void {
    if (!this.ssl) throw new Error(`TLS to ${this.tcp.target}: connection already closed`);
    this.o.errClear();
    const n = this.o.write(this.ssl, data, data.length);
    if (n !== data.length) {
      const why = describeFailure(this.o, this.o.getError(this.ssl, n), "send");
      this.o.errClear();
      throw new Error(`TLS to ${this.tcp.target}: ${why}`);
    }
  }

  /** See BlockingTcp.waitAcknowledged: the TLS records are the TCP socket's bytes. */
  waitAcknowledged(timeoutMs: number): boolean {
    return this.tcp.waitAcknowledged(timeoutMs);
  }

  close(): void {
    if (this.ssl) {
      // close_notify without waiting for the server's: the socket is closed right after.
      this.o.shutdown(this.ssl);
      this.o.sslFree(this.ssl);
      this.o.errClear();
    }
    this.ssl = null;
    this.tcp.close();
  }
}

function describeFailure(o: OpenSsl, code: number, what: string): string {
  const errno = koffi.errno();
  switch (code) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
      return `${what}: the server did not answer in time`;
    case SSL_ERROR_ZERO_RETURN:
      return `${what}: the server closed the connection`;
    case SSL_ERROR_SYSCALL:
      return errno ? `${what}: ${errnoName(errno)} (${describe(errno)})` : `${what}: the server closed the connection`;
    case SSL_ERROR_SSL:
      return `${what}: ${queuedErrors(o) || "protocol error"}`;
    default:
      return `${what}: OpenSSL error ${code}${queuedErrors(o) ? `: ${queuedErrors(o)}` : ""}`;
  }
}
