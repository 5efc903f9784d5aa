// The text under negotiation, on every screen: the chair puts a document up at a paragraph,
// the secretariat edits it as agreed, and each change shows here within a moment, with the
// amendments each delegation proposed to that paragraph. Signatures arriving are announced.

import { request } from "./page.js";
import { notify } from "./notice.js";

const RTL = new Set(["ar", "he", "fa", "ur"]);

function part(tag, props = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

export function initText(socket, engagementId) {
  const box = document.getElementById("text-on-screen");
  if (!box) return;
  const api = `/api/v1/engagements/${engagementId}/documents`;
  let shown = null;
  let loading = null;

  // The text in the language this person speaks, where the document has it.
  const mine = document.getElementById("meeting")?.dataset.language ?? "";

  function render(doc, paragraph) {
    const language = doc.languages.find((l) => l === mine || l.split("-")[0] === mine.split("-")[0] && mine) ?? doc.languages[0];
    const paragraphs = doc.latest.texts[language] ?? [];
    const list = part("ol", { className: "screen-text", lang: language, dir: RTL.has(language.split("-")[0]) ? "rtl" : "ltr" });
    paragraphs.forEach((words, index) => {
      const number = index + 1;
      const item = part("li", { className: number === paragraph ? "current" : "" });
      item.dataset.paragraph = String(number);
      item.append(part("span", { className: "screen-number", textContent: `${number}.` }), " ", words);
      const proposals = doc.amendments.filter((a) => a.paragraph === number && a.status === "proposed");
      for (const a of proposals) {
        item.append(part("p", { className: "screen-amendment" },
          part("strong", { textContent: a.delegation }), ` proposes to ${a.action} (${a.proposed_by})`,
          a.text ? part("q", { textContent: a.text }) : null));
      }
      list.append(item);
    });
    box.replaceChildren(
      part("div", { className: "screen-head" },
        part("h2", { textContent: doc.title }),
        part("span", { className: "muted small", textContent: `Version ${doc.latest.number} · paragraph ${paragraph} · ${doc.stage.replace("_", " ")}` })),
      list,
    );
    box.hidden = false;
    list.querySelector("li.current")?.scrollIntoView({ block: "nearest" });
    window.summitryMeeting.textOnScreen = { document: doc.id, version: doc.latest.number, paragraph };
  }

  // A load asked for while one is under way runs once more after it: the edit that landed
  // meanwhile is shown, not lost.
  let again = false;
  async function load() {
    if (loading) {
      again = true;
      return loading;
    }
    loading = (async () => {
      try {
        const screen = await request(`${api}/screen`, null, "GET");
        if (!screen.document_id) {
          hide();
          return;
        }
        shown = screen;
        render(await request(`${api}/${screen.document_id}`, null, "GET"), screen.paragraph);
      } catch {
        // Not readable for this person (a confidential draft), or a blip: the next event retries.
      } finally {
        loading = null;
        if (again) {
          again = false;
          load();
        }
      }
    })();
    return loading;
  }

  function hide() {
    shown = null;
    box.hidden = true;
    window.summitryMeeting.textOnScreen = null;
  }

  // The document itself, sent to those who may read it just before the event of its change.
  socket.addEventListener("document", ({ detail }) => {
    if (detail.screen) shown = detail.screen;
    if (shown?.document_id === detail.document.id) render(detail.document, shown.paragraph);
  });
  socket.addEventListener("hello", load);
  socket.addEventListener("event", ({ detail }) => {
    const e = detail.event;
    if (e.document_id === undefined) return;
    if (e.kind === "document_signed") notify(`Signed for ${e.delegation} by ${e.signatory}.`, "info");
    if (e.kind === "text_adopted") notify("The text under negotiation has been adopted.", "info");
    if (e.kind === "silence_broken") notify(`${e.delegation} has broken silence: the text is not adopted.`, "info");
    if (e.kind === "text_hidden") hide();
    else if (e.kind === "text_shown") {
      if (shown?.document_id !== e.document_id || shown?.paragraph !== e.paragraph) load();
    } else if (!TOLD.has(e.kind) && e.kind !== "document_action_refused" && e.document_id === shown?.document_id) load();
  });
}

// Changes whose document came ahead of them to every reader (``documents/readers.py``).
const TOLD = new Set(["version_made", "amendment_proposed", "amendment_decided"]);
