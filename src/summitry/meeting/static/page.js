// What the meeting page and the interpreter's console share: their stages (device check,
// lobby, room, ended), requests to the API, the device check's error line, the connection mark.

export function show(view) {
  for (const el of document.querySelectorAll("[data-view]")) el.hidden = el.dataset.view !== view;
}

// A JSON request; a refusal becomes an Error carrying the server's message.
export async function request(url, body, method = "POST") {
  const response = await fetch(url, {
    method,
    headers: body ? { "Content-Type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!response.ok) {
    const detail = await response.json().catch(() => ({}));
    throw new Error(detail.error?.message ?? `that could not be done (the server answered ${response.status}); try again in a moment`);
  }
  return response.json();
}

export function showDeviceError(text) {
  const message = document.getElementById("device-error");
  message.textContent = text;
  message.hidden = false;
}

// The header's mark follows the live socket; returned for the page's own notes on the media.
export function markConnection(socket) {
  const mark = document.querySelector('[data-mark="connection"]');
  socket.addEventListener("status", ({ detail }) => {
    mark.textContent = detail.connected ? "Connected" : detail.final ? "Not connected" : "Reconnecting…";
    mark.classList.toggle("warn", !detail.connected && !detail.final);
  });
  return mark;
}

export function showEnded(title, text) {
  document.querySelector("[data-ended-title]").textContent = title;
  document.querySelector("[data-ended-text]").textContent = text;
  show("ended");
}
