// The pages' one way to call the API with the session and its CSRF token; errors become readable sentences.

export function apiClient(csrf) {
  const headers = { "X-CSRFToken": csrf, Accept: "application/json" };

  // A JSON request; resolves to { ok, status, body } and never throws for a network failure.
  async function call(method, url, payload) {
    const init = { method, credentials: "same-origin", headers: { ...headers } };
    if (payload !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(payload);
    }
    let response;
    try {
      response = await fetch(url, init);
    } catch {
      return { ok: false, status: 0, body: { detail: "The server could not be reached. Check the connection and try again." } };
    }
    const body = response.status === 204 ? null : await response.json().catch(() => null);
    return { ok: response.ok, status: response.status, body };
  }

  return { call, headers };
}

// One sentence out of an API error body: a detail, or the messages per field.
export function problemText(result) {
  const body = result.body;
  if (!body) return `The server answered ${result.status}.`;
  if (typeof body.detail === "string") return body.detail;
  return Object.entries(body)
    .map(([field, messages]) => `${field.replace(/_/g, " ")}: ${[].concat(messages).join(" ")}`)
    .join(" ");
}
