// A throwaway CA and a server certificate it signed (for 127.0.0.1/localhost unless told), made
// with openssl. Both are valid from now for two days.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface TestCerts {
  caFile: string;
  key: string;
  cert: string;
  keyFile: string;
  certFile: string;
}

export function makeCerts(dir: string, altNames = "IP:127.0.0.1,DNS:localhost"): TestCerts {
  const run = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  run("req", "-x509", ...ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=tarboot test CA");
  run("req", ...ec, "-keyout", "srv.key", "-out", "srv.csr", "-subj", "/CN=127.0.0.1");
  writeFileSync(join(dir, "san.ext"), `subjectAltName=${altNames}\n`);
  run("x509", "-req", "-in", "srv.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "srv.pem", "-days", "2", "-extfile", "san.ext");
  return {
    caFile: join(dir, "ca.pem"),
    key: readFileSync(join(dir, "srv.key"), "utf8"),
    cert: readFileSync(join(dir, "srv.pem"), "utf8"),
    keyFile: join(dir, "srv.key"),
    certFile: join(dir, "srv.pem"),
  };
}
