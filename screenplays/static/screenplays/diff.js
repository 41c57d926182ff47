// A line diff (common prefix and suffix trimmed, then a longest common subsequence) and its HTML.

const MAX_CELLS = 4_000_000;
const CONTEXT_LINES = 2;
const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" };
const escape = (text) => text.replace(/[&<>"]/g, (character) => ESCAPES[character]);

/** Operations turning text `a` into text `b`, line by line: {op: "same"|"del"|"add", text}. */
export function lineDiff(a, b) {
  const left = a.split("\n");
  const right = b.split("\n");
  let start = 0;
  while (start < left.length && start < right.length && left[start] === right[start]) start++;
  let end = 0;
  while (end < left.length - start && end < right.length - start && left[left.length - 1 - end] === right[right.length - 1 - end]) end++;
  const middleLeft = left.slice(start, left.length - end);
  const middleRight = right.slice(start, right.length - end);
  const ops = left.slice(0, start).map((text) => ({ op: "same", text }));
  if (middleLeft.length * middleRight.length > MAX_CELLS) {
    ops.push(...middleLeft.map((text) => ({ op: "del", text })), ...middleRight.map((text) => ({ op: "add", text })));
  } else {
    ops.push(...lcsOps(middleLeft, middleRight));
  }
  ops.push(...left.slice(left.length - end).map((text) => ({ op: "same", text })));
  return ops;
}

function lcsOps(left, right) {
  const rows = left.length;
  const columns = right.length;
  const lengths = Array.from({ length: rows + 1 }, () => new Uint32Array(columns + 1));
  for (let i = rows - 1; i >= 0; i--) {
    for (let j = columns - 1; j >= 0; j--) {
      lengths[i][j] = left[i] === right[j] ? lengths[i + 1][j + 1] + 1 : Math.max(lengths[i + 1][j], lengths[i][j + 1]);
    }
  }
  const ops = [];
  let i = 0;
  let j = 0;
  while (i < rows && j < columns) {
    if (left[i] === right[j]) {
      ops.push({ op: "same", text: left[i++] });
      j++;
    } else if (lengths[i + 1][j] >= lengths[i][j + 1]) ops.push({ op: "del", text: left[i++] });
    else ops.push({ op: "add", text: right[j++] });
  }
  while (i < rows) ops.push({ op: "del", text: left[i++] });
  while (j < columns) ops.push({ op: "add", text: right[j++] });
  return ops;
}

/** The changed lines with a little context, as a table body: removed lines in `a`, added in `b`. */
export function diffHtml(ops, { removed = "Removed", added = "Added" } = {}) {
  const keep = new Array(ops.length).fill(false);
  ops.forEach((item, index) => {
    if (item.op === "same") return;
    for (let k = Math.max(0, index - CONTEXT_LINES); k <= Math.min(ops.length - 1, index + CONTEXT_LINES); k++) keep[k] = true;
  });
  if (!keep.includes(true)) return '<p class="diff-same">The two texts are the same.</p>';
  const rows = [];
  let skipped = false;
  ops.forEach((item, index) => {
    if (!keep[index]) {
      skipped = true;
      return;
    }
    if (skipped) rows.push('<li class="diff-gap" aria-label="Unchanged lines left out">…</li>');
    skipped = false;
    const label = item.op === "del" ? `${removed}: ` : item.op === "add" ? `${added}: ` : "";
    const sign = item.op === "del" ? "−" : item.op === "add" ? "+" : " ";
    rows.push(`<li class="diff-${item.op}"><span class="visually-hidden">${label}</span><span class="diff-sign" aria-hidden="true">${sign}</span>${escape(item.text) || "&nbsp;"}</li>`);
  });
  return `<ol class="diff-lines">${rows.join("")}</ol>`;
}

/** Both texts in one, each differing run of lines kept from both sides between Fountain notes. */
export function mergeWithMarkers(ops, mineLabel, theirsLabel) {
  const lines = [];
  let mine = [];
  let theirs = [];
  const flush = () => {
    if (!mine.length && !theirs.length) return;
    lines.push(`[[<<< ${mineLabel}]]`, ...mine, `[[=== ${theirsLabel}]]`, ...theirs, "[[>>>]]");
    mine = [];
    theirs = [];
  };
  for (const item of ops) {
    if (item.op === "same") {
      flush();
      lines.push(item.text);
    } else if (item.op === "del") mine.push(item.text);
    else theirs.push(item.text);
  }
  flush();
  return lines.join("\n");
}
