// Reading and typing into an xterm.js terminal in a page, as a user sees it: the text of the
// rendered rows (xterm's DOM renderer), one line per row, trailing blanks removed.

/** The terminal's visible text. */
export async function terminalText(page, selector = '#terminal') {
  return page.evaluate((sel) => {
    const rows = document.querySelectorAll(`${sel} .xterm-rows > div`);
    const lines = [...rows].map((r) => r.textContent.replace(/\u00a0/g, ' ').replace(/\s+$/, ''));
    while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
    // The prompt's trailing space is trimmed with the rest: give it back to the last line.
    const last = lines.length - 1;
    if (last >= 0 && /[#$]$/.test(lines[last])) lines[last] += ' ';
    return lines.join('\n');
  }, selector);
}

/** Waits until the visible text matches `re`; returns the text. The error shows what was there. */
export async function waitForTerminal(page, re, timeoutMs, selector = '#terminal') {
  const deadline = Date.now() + timeoutMs;
  let text = '';
  for (;;) {
    text = await terminalText(page, selector);
    if (re.test(text)) return text;
    if (Date.now() > deadline) throw new Error(`terminal never showed ${re} within ${timeoutMs} ms; it shows:\n${text.slice(-2000)}`);
    await page.waitForTimeout(250);
  }
}

/** Types a command line into the terminal (focus, keys, Enter). */
export async function typeLine(page, line, selector = '#terminal') {
  await page.click(`${selector} .xterm-screen`);
  await page.keyboard.type(line, { delay: 20 });
  await page.keyboard.press('Enter');
}
