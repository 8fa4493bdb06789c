// The console's JSON endpoints, with the admin token this tab holds.
const KEY = "edgeway-console-token";
const BASE = new URL("../api/", document.baseURI);

export class AuthError extends Error {}
export class Unavailable extends Error {}

export function takeTokenFromFragment() {
  // `make run` prints the page URL with #token=...: a fragment never reaches a server.
  const match = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (match) {
    sessionStorage.setItem(KEY, decodeURIComponent(match[1]));
    history.replaceState(null, "", location.pathname + location.search);
  }
}

export const token = {
  get: () => sessionStorage.getItem(KEY),
  set: (value) => sessionStorage.setItem(KEY, value.trim().replace(/^bearer\s+/i, "")),
  clear: () => sessionStorage.removeItem(KEY),
};

export async function getJSON(section, params) {
  const url = new URL(section, BASE);
  for (const [k, v] of Object.entries(params || {})) url.searchParams.set(k, v);
  const headers = { accept: "application/json" };
  const held = token.get();
  if (held) headers.authorization = `Bearer ${held}`;
  let response;
  try {
    response = await fetch(url, { headers, cache: "no-store", credentials: "omit" });
  } catch (err) {
    throw new Unavailable("the console cannot be reached");
  }
  let body = null;
  try { body = await response.json(); } catch (err) { body = null; }
  if (response.status === 401 || response.status === 403) {
    throw new AuthError((body && body.detail) || `HTTP ${response.status}`);
  }
  if (!response.ok) {
    const err = new Unavailable((body && body.detail) || `HTTP ${response.status}`);
    err.status = response.status;
    throw err;
  }
  return body;
}
