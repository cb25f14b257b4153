// The self-check page. Everything the student typed is put on the page as text nodes, never as HTML.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const form = $("check-form");
  const select = $("question");
  const draft = $("draft");
  const button = $("check");
  const status = $("status");
  const keyField = $("key-field");
  const keyInput = $("access-key");
  const STATUS_WORDS = { met: "已答到", partial: "部分答到", missing: "尚未答到" };
  let questions = [];

  keyInput.value = sessionStorage.getItem("yuejuan-key") || "";
  // This tab's visitor token: the server counts the tab's checks on their own, not with those of every
  // other computer behind the school's one address (see ensureVisitorToken).
  let visitorToken = sessionStorage.getItem("yuejuan-visitor") || "";
  let tokenRequest = null;

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, value);
    for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    return node;
  }

  // Characters of text, as the grader counts them: letters and digits, not punctuation or spaces.
  function countChars(text) {
    let n = 0;
    for (const ch of text) if (/[\p{L}\p{N}]/u.test(ch)) n += 1;
    return n;
  }

  function headers() {
    const h = { "Content-Type": "application/json" };
    const key = keyInput.value.trim();
    if (key) h.Authorization = "Bearer " + key;
    if (visitorToken) h["X-Visitor-Token"] = visitorToken;
    return h;
  }

  // Asks for a visitor token once (a check sent meanwhile waits for the same request). Without one (none
  // could be had, or a key is in use) the page works all the same, counted per address as before.
  function ensureVisitorToken() {
    if (visitorToken || keyInput.value.trim()) return Promise.resolve();
    if (!tokenRequest) {
      tokenRequest = fetch("/v1/check/visitor-token", { method: "POST", headers: headers() })
        .then((response) => (response.ok ? response.json() : null))
        .then((body) => {
          if (body && body.token) {
            visitorToken = body.token;
            sessionStorage.setItem("yuejuan-visitor", visitorToken);
          }
        })
        .catch(() => {})
        .finally(() => { tokenRequest = null; });
    }
    return tokenRequest;
  }

  // The server refused the token (expired, or the deployment's secret changed).
  async function tokenRefused(response) {
    if (response.status !== 401 || !visitorToken) return false;
    try {
      const body = await response.clone().json();
      return Boolean(body && body.error && body.error.code === "invalid_visitor_token");
    } catch (_) {
      return false;
    }
  }

  async function sendCheck(body) {
    await ensureVisitorToken();
    const send = () => fetch("/v1/check", { method: "POST", headers: headers(), body });
    let response = await send();
    if (await tokenRefused(response)) {
      visitorToken = "";
      sessionStorage.removeItem("yuejuan-visitor");
      await ensureVisitorToken();
      response = await send();
    }
    return response;
  }

  function say(message, isError) {
    status.textContent = message;
    status.classList.toggle("error", Boolean(isError));
  }

  async function problem(response) {
    try {
      const body = await response.json();
      if (body && body.error && body.error.message) {
        // A malformed draft (a NUL character pasted in, say): the details say what is wrong with it.
        const details = (body.error.details || []).map((d) => d.message).filter(Boolean);
        return details.length ? body.error.message + details.join(";") + "。" : body.error.message;
      }
    } catch (_) { /* not JSON */ }
    return "服务暂时不可用(" + response.status + "),请稍后重试。";
  }

  function updateCount() {
    const q = questions.find((x) => x.id === select.value);
    const n = countChars(draft.value);
    $("count").textContent = q ? "约 " + n + " 字 / 建议 " + q.expected_length + " 字左右" : n + " 字";
  }

  function showPrompt() {
    const q = questions.find((x) => x.id === select.value);
    $("prompt-box").hidden = !q;
    $("prompt").textContent = q ? q.prompt : "";
    updateCount();
  }

  async function loadQuestions() {
    const response = await fetch("/v1/check/questions", { headers: headers() });
    if (response.status === 401) {
      keyField.hidden = false;
      select.replaceChildren(el("option", { value: "" }, "请先填写访问密钥"));
      say(await problem(response), true);
      return;
    }
    if (!response.ok) {
      say(await problem(response), true);
      return;
    }
    questions = (await response.json()).questions;
    select.replaceChildren(...questions.map((q) => el("option", { value: q.id }, q.title)));
    say("", false);
    showPrompt();
  }

  // The draft with the evidence sentences marked; offsets count Unicode code points. Each evidence
  // sentence gets a number in reading order, so that the checklist can point at "第 N 处".
  function renderDraft(text, items) {
    const chars = Array.from(text);
    const spans = [];
    for (const item of items) {
      for (const ev of item.evidence) spans.push({ start: ev.start, end: ev.end, role: ev.role, number: item.number });
    }
    const places = new Map();
    [...spans].sort((x, y) => x.start - y.start || x.end - y.end).forEach((s) => {
      const key = s.start + "-" + s.end;
      if (!places.has(key)) places.set(key, { id: "ev-" + key, n: places.size + 1, placed: false });
    });
    const cuts = new Set([0, chars.length]);
    for (const s of spans) { cuts.add(s.start); cuts.add(s.end); }
    const points = [...cuts].filter((c) => c >= 0 && c <= chars.length).sort((a, b) => a - b);
    const view = $("draft-view");
    view.replaceChildren();
    for (let i = 0; i + 1 < points.length; i += 1) {
      const a = points[i];
      const b = points[i + 1];
      const piece = chars.slice(a, b).join("");
      const covering = spans.filter((s) => s.start <= a && b <= s.end);
      if (!covering.length) { view.append(document.createTextNode(piece)); continue; }
      const numbers = [...new Set(covering.map((s) => s.number))].sort((x, y) => x - y);
      const against = covering.some((s) => s.role === "against");
      const mark = el("mark", {
        class: against ? "against" : "support",
        tabindex: "-1",
        title: (against ? "与要点相反:要点 " : "要点 ") + numbers.join("、"),
        "data-items": numbers.join(" "),
      }, piece);
      for (const s of covering) {
        const place = places.get(s.start + "-" + s.end);
        if (s.start === a && !place.placed) { place.placed = true; mark.id = place.id; }
      }
      view.append(mark);
    }
    return places;
  }

  function render(result, text) {
    const places = renderDraft(text, result.items);
    const summary = result.met + " / " + result.total + " 个要点已答到";
    $("summary").textContent = result.score === null ? summary + "。" : summary + ",预估得分 " + result.score + " / " + result.max_score + "。";
    $("length").textContent = "篇幅:约 " + result.length + " 字(建议 " + result.expected_length + " 字左右,至少 " + result.min_length + " 字)。";

    const flags = $("flags");
    flags.replaceChildren(...result.flags.map((f) => el("li", { "data-code": f.code }, f.message)));
    $("flags-box").hidden = result.flags.length === 0;

    const list = $("checklist");
    list.replaceChildren(...result.items.map((item) => {
      const li = el("li", { class: item.status, "data-status": item.status },
        el("div", { class: "item-head" },
          el("span", { class: "badge" }, STATUS_WORDS[item.status]),
          el("span", { class: "label" }, item.label)));
      if (item.hint) li.append(el("p", { class: "hint" }, "提示:" + item.hint));
      if (item.evidence.length) {
        const refs = el("p", { class: "refs" }, "依据(草稿中标亮的句子):");
        for (const ev of item.evidence) {
          const place = places.get(ev.start + "-" + ev.end);
          const word = "第 " + place.n + " 处" + (ev.role === "against" ? "(相反)" : "");
          refs.append(el("a", { href: "#" + place.id }, word));
        }
        li.append(refs);
      }
      return li;
    }));
    $("result").hidden = false;
    $("result-heading").focus();
  }

  // Ctrl+Enter submits even while the button is disabled: only the latest check may show its answer,
  // or a slow answer to an earlier draft would replace the check of the draft as it is now.
  let latest = 0;

  async function check(event) {
    event.preventDefault();
    if (!questions.length) {
      // The question list did not load (the service could not be reached): try again now. A refusal
      // (a key needed) stays on show as loadQuestions says it.
      try { await loadQuestions(); } catch (_) { say("无法连接到服务,请检查网络后重试。", true); return; }
      if (!questions.length) return;
    }
    if (!select.value) { say("请先选择题目。", true); select.focus(); return; }
    const text = draft.value;
    const ticket = ++latest;
    button.disabled = true;
    say("正在检查……", false);
    try {
      const response = await sendCheck(JSON.stringify({ rubric_id: select.value, answer: text }));
      if (response.status === 401) keyField.hidden = false;
      const outcome = response.ok ? await response.json() : await problem(response);
      if (ticket !== latest) return;
      // A result left on show beside the error would read as the check of this draft.
      if (!response.ok) { $("result").hidden = true; say(outcome, true); return; }
      render(outcome, text);
      say("检查完成。", false);
    } catch (_) {
      if (ticket === latest) { $("result").hidden = true; say("无法连接到服务,请检查网络后重试。", true); }
    } finally {
      if (ticket === latest) button.disabled = false;
    }
  }

  form.addEventListener("submit", check);
  select.addEventListener("change", showPrompt);
  draft.addEventListener("input", updateCount);
  draft.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) form.requestSubmit();
  });
  keyInput.addEventListener("change", () => {
    sessionStorage.setItem("yuejuan-key", keyInput.value.trim());
    loadQuestions();
  });
  loadQuestions().catch(() => say("无法连接到服务,请检查网络后重试。", true));
})();
