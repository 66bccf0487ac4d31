// The portal page: sends each box to the portal's server and shows the answer. Every value from the
// network goes into the page through textContent, never as HTML.

function line(className, text) {
  const div = document.createElement("div");
  div.className = className;
  div.textContent = text;
  return div;
}

async function ask(path, output, pickValue) {
  output.replaceChildren(line("meta", "…"));
  try {
    const res = await fetch(path, { headers: { accept: "application/json" } });
    let body;
    try {
      body = await res.json();
    } catch {
      output.replaceChildren(line("error", `The portal answered ${res.status} without JSON.`));
      return;
    }
    const answer = body.answer || {};
    if (res.ok) {
      output.replaceChildren(line("value", String(pickValue(answer))));
    } else {
      output.replaceChildren(line("error", String(answer.error || body.error || `HTTP ${res.status}`)));
    }
    if (answer.container) {
      const via = body.upstream ? ` at ${body.upstream.address}:${body.upstream.port}` : "";
      const tries = body.attempts > 1 ? ` after ${body.attempts} tries` : "";
      output.append(
        line("meta", `answered by container ${answer.container} on host ${answer.host}${via}${tries}`),
      );
    }
  } catch (err) {
    output.replaceChildren(line("error", `The portal cannot be reached: ${err.message}`));
  }
}

document.getElementById("time-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const layout = document.getElementById("time-input").value;
  const tz = document.getElementById("tz-input").value.trim();
  const query = tz ? `?tz=${encodeURIComponent(tz)}` : "";
  ask(`/time/${encodeURIComponent(layout)}${query}`, document.getElementById("time-result"), (a) => a.time);
});

document.getElementById("calc-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const formula = document.getElementById("calc-input").value;
  ask(`/calc/${encodeURIComponent(formula)}`, document.getElementById("calc-result"), (a) => a.result);
});
