// A minimal HTML reader for the detection fixtures: finds <input> elements in document order and
// turns each into the attribute descriptor detect.js scores. Handles what the fixtures use: label
// for=, wrapping labels, aria-label, inline style width, and the enclosing container (group).
const VOID = new Set(["input", "br", "img", "meta", "link", "hr", "source", "wbr"]);

function attributes(text) {
  const attrs = {};
  for (const m of text.matchAll(/([a-zA-Z_:][-a-zA-Z0-9_:.]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?/g)) {
    attrs[m[1].toLowerCase()] = m[2] ?? m[3] ?? m[4] ?? "";
  }
  return attrs;
}

function decode(text) {
  return text.replace(/&amp;/g, "&").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"');
}

/** Parse fixture HTML into {inputs: [{attrs, group, labelText}], expect}. */
export function parseFixture(html) {
  const expectMatch = html.match(/<!--\s*expect:\s*(none|single|split)\s*([^\s]*)\s*-->/);
  const expect = expectMatch
    ? { kind: expectMatch[1], ids: expectMatch[2] ? expectMatch[2].split(",") : [] }
    : null;
  const body = html.replace(/<!--[\s\S]*?-->/g, "");
  const stack = [{ tag: "#root", serial: 0 }];
  let serial = 0;
  const inputs = [];
  const labelsFor = {};
  const openLabels = [];
  for (const m of body.matchAll(/<(\/?)([a-zA-Z][a-zA-Z0-9]*)([^>]*)>|([^<]+)/g)) {
    const [, closing, rawTag, rest, text] = m;
    if (text !== undefined) {
      for (const label of openLabels) label.text += decode(text);
      continue;
    }
    const tag = rawTag.toLowerCase();
    if (closing) {
      while (stack.length > 1 && stack.pop().tag !== tag) { /* unwind to the matching tag */ }
      if (tag === "label") {
        const label = openLabels.pop();
        if (label.for) labelsFor[label.for] = (labelsFor[label.for] ?? "") + label.text;
        for (const input of label.inputs) input.labelText += label.text;
      }
      continue;
    }
    const attrs = attributes(rest);
    if (tag === "input") {
      const style = attrs.style ?? "";
      const width = Number((style.match(/width:\s*(\d+)px/) ?? [])[1] ?? 0);
      const ancestors = stack.map((e) => e.serial).reverse();
      const input = { attrs, ancestors, labelText: "", width };
      inputs.push(input);
      openLabels.forEach((l) => l.inputs.push(input));
    } else if (!VOID.has(tag)) {
      serial += 1;
      stack.push({ tag, serial });
      if (tag === "label") openLabels.push({ for: attrs.for, text: "", inputs: [] });
    }
  }
  const count = {};
  for (const i of inputs) for (const a of i.ancestors) count[a] = (count[a] ?? 0) + 1;
  // As the DOM layer does: the group is the nearest ancestor (up to 4 levels) holding more than one input.
  const groupOf = (i) => i.ancestors.slice(0, 4).find((a) => count[a] > 1) ?? i.ancestors[0];
  return {
    expect,
    inputs: inputs.map((i) => ({
      id: i.attrs.id ?? "",
      descriptor: {
        type: i.attrs.type ?? "",
        id: i.attrs.id ?? "",
        name: i.attrs.name ?? "",
        className: i.attrs.class ?? "",
        placeholder: i.attrs.placeholder ?? "",
        ariaLabel: i.attrs["aria-label"] ?? "",
        labelText: `${i.labelText} ${labelsFor[i.attrs.id] ?? ""}`.replace(/\s+/g, " ").trim(),
        autocomplete: i.attrs.autocomplete ?? "",
        maxLength: i.attrs.maxlength !== undefined ? Number(i.attrs.maxlength) : -1,
        inputMode: i.attrs.inputmode ?? "",
        pattern: i.attrs.pattern ?? "",
        width: i.width,
        disabled: "disabled" in i.attrs,
        readOnly: "readonly" in i.attrs,
        hidden: (i.attrs.type ?? "") === "hidden",
        group: groupOf(i),
      },
    })),
  };
}
