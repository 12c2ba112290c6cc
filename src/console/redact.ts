// Passwords in URLs (root=http://user:password@srv/...) never reach the console or a file the booted
// system can read: what a line or a record shows of a URL's user information is the user name.

const USERINFO = /(\b[a-z][a-z0-9+.-]*:\/\/)([^\s/?#@]*)@/gi;

/** `http://user:secret@srv/x` -> `http://user:***@srv/x`; a lone token (`http://tok@srv/`) -> `http://***@srv/`. */
export function hideCredentials(text: string): string {
  if (!text.includes("@")) return text;
  return text.replace(USERINFO, (_m, scheme: string, info: string) => {
    const colon = info.indexOf(":");
    return `${scheme}${colon < 0 ? "***" : `${info.slice(0, colon)}:***`}@`;
  });
}
