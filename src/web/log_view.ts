// The Keras log as a terminal shows it: text arrives in pieces, a '\r' takes the cursor back to the
// start of the line (the live bar redraws itself), '\x1b[K' clears to its end.

export class LogView {
  private readonly element: HTMLElement;
  private readonly lines: string[] = [''];
  private pending = false;

  constructor(element: HTMLElement) {
    this.element = element;
  }

  write(text: string): void {
    for (const part of text.replaceAll('\x1b[K', '').split(/(\r|\n)/)) {
      if (part === '\n') this.lines.push('');
      else if (part === '\r') this.lines[this.lines.length - 1] = '';
      else this.lines[this.lines.length - 1] += part;
    }
    if (!this.pending) { // one repaint a frame, however many pieces arrive
      this.pending = true;
      requestAnimationFrame(() => this.paint());
    }
  }

  clear(): void {
    this.lines.length = 0;
    this.lines.push('');
    this.paint();
  }

  // The text as it stands (what a test reads from #log once painted).
  text(): string {
    return this.lines.join('\n');
  }

  private paint(): void {
    this.pending = false;
    const atBottom = this.element.scrollTop + this.element.clientHeight >= this.element.scrollHeight - 4;
    this.element.textContent = this.text();
    if (atBottom) this.element.scrollTop = this.element.scrollHeight;
  }
}
