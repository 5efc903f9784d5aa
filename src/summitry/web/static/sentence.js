// The server's messages are clauses ("you do not have the floor: ask for it…"): every page
// shows them as a sentence.
export function sentence(text) {
  const trimmed = String(text ?? "").trim();
  if (!trimmed) return "That did not work. Try again in a moment.";
  const first = trimmed[0].toUpperCase() + trimmed.slice(1);
  return /[.!?…]$/.test(first) ? first : `${first}.`;
}
