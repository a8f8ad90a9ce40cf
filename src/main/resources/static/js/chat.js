// Familiar web chat: sends a message, reads the reply as server-sent events from a streaming fetch,
// renders markdown safely (marked + DOMPurify + highlight.js) and stops on request.
(() => {
  const main = document.querySelector('main.chat');
  const messages = document.getElementById('messages');
  const form = document.getElementById('composer');
  const prompt = document.getElementById('prompt');
  const send = document.getElementById('send');
  const stop = document.getElementById('stop');
  const model = document.getElementById('model');
  const csrfToken = document.querySelector('meta[name=_csrf]')?.content;
  const csrfHeader = document.querySelector('meta[name=_csrf_header]')?.content;
  let conversation = main.dataset.conversation || null;
  let controller = null;

  // Messages and replies are untrusted (a reply can carry a prompt-injected page's markup): no
  // data-* or hx-* attribute (htmx acts on both), no event handler, no style, no form controls or
  // other active elements, and links and images only by http(s) or to this site.
  DOMPurify.addHook('uponSanitizeAttribute', (node, data) => {
    const name = data.attrName.toLowerCase();
    if (name.startsWith('data-') || name.startsWith('hx-') || name.startsWith('on')) data.keepAttr = false;
    // Only marked's code-block language, so a reply cannot dress itself up as Familiar's own controls.
    if (name === 'class' && !/^language-[\w+#-]+$/.test(data.attrValue)) data.keepAttr = false;
  });
  DOMPurify.addHook('afterSanitizeAttributes', (node) => {
    if (node.tagName === 'A') node.setAttribute('rel', 'noopener noreferrer nofollow');
  });
  const untrusted = {
    ALLOW_DATA_ATTR: false,
    ALLOW_UNKNOWN_PROTOCOLS: false,
    FORBID_TAGS: ['form', 'input', 'button', 'textarea', 'select', 'option', 'style', 'iframe', 'frame', 'object',
      'embed', 'base', 'link', 'meta', 'dialog', 'template', 'svg', 'math', 'audio', 'video', 'source'],
    FORBID_ATTR: ['style', 'id', 'name', 'form', 'formaction', 'action', 'srcset'],
  };
  const render = (element, text) => {
    element.innerHTML = DOMPurify.sanitize(marked.parse(text), untrusted);
    element.querySelectorAll('pre code').forEach((block) => hljs.highlightElement(block));
  };
  document.querySelectorAll('.md').forEach((element) => render(element, element.textContent));
  const scroll = () => { messages.scrollTop = messages.scrollHeight; };
  scroll();

  const bubble = (role) => {
    messages.querySelector('.hint')?.remove();
    const article = document.createElement('article');
    article.className = `message ${role}`;
    const content = document.createElement('div');
    content.className = 'content md';
    article.appendChild(content);
    messages.appendChild(article);
    return article;
  };
  const note = (article, text) => {
    const status = document.createElement('div');
    status.className = 'status';
    status.textContent = text;
    article.appendChild(status);
  };

  const post = async (url, body) => {
    const headers = { 'Content-Type': 'application/json', Accept: 'application/json' };
    if (csrfHeader) headers[csrfHeader] = csrfToken;
    const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body) });
    if (!response.ok) throw new Error(`The server answered ${response.status}.`);
    return response.json();
  };

  // "Used N memories", listing each memory with a link to it on the memory page.
  const usedMemories = (article, used) => {
    if (!used.length) return;
    const details = document.createElement('details');
    details.className = 'used-memories';
    const summary = document.createElement('summary');
    summary.textContent = `Used ${used.length} ${used.length === 1 ? 'memory' : 'memories'}`;
    details.appendChild(summary);
    const list = document.createElement('ul');
    for (const memory of used) {
      const item = document.createElement('li');
      const link = document.createElement('a');
      link.href = `/memory?highlight=${encodeURIComponent(memory.id)}`;
      link.textContent = memory.content;
      item.appendChild(link);
      list.appendChild(item);
    }
    details.appendChild(list);
    article.querySelector('.content').after(details);
  };

  const feedbackButtons = (article) => {
    const box = document.createElement('div');
    box.className = 'feedback';
    box.innerHTML = '<button type="button" class="link thumb up" title="Good reply" aria-label="Good reply">👍</button>'
      + '<button type="button" class="link thumb down" title="Bad reply" aria-label="Bad reply">👎</button>';
    article.appendChild(box);
  };

  // Thumbs up or down: rated at once; an optional reason, sent after, becomes a preference memory.
  messages.addEventListener('click', async (event) => {
    const thumb = event.target.closest('.thumb');
    if (!thumb) return;
    const article = thumb.closest('article');
    const box = thumb.closest('.feedback');
    const rating = thumb.classList.contains('up') ? 1 : -1;
    box.querySelectorAll('.thumb').forEach((b) => b.classList.toggle('chosen', b === thumb));
    try {
      await post(`/chat/messages/${article.dataset.id}/feedback`, { rating });
    } catch (error) {
      note(article, error.message);
      return;
    }
    box.querySelector('form')?.remove();
    const why = document.createElement('form');
    why.className = 'why';
    why.innerHTML = '<input name="reason" maxlength="500" placeholder="Why? (optional, Familiar will remember it)">'
      + '<button type="submit">Send</button>';
    box.appendChild(why);
    why.querySelector('input').focus();
    why.addEventListener('submit', async (submitEvent) => {
      submitEvent.preventDefault();
      const reason = why.querySelector('input').value.trim();
      if (!reason) { why.remove(); return; }
      try {
        const answer = await post(`/chat/messages/${article.dataset.id}/feedback`, { rating, reason });
        why.remove();
        if (answer.memory) note(article, `Remembered: ${answer.memory}`);
      } catch (error) {
        note(article, error.message);
      }
    });
  });

  // Yields {event, data} from a text/event-stream response body.
  async function* events(response) {
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let event = 'message';
        let data = '';
        for (const line of block.split('\n')) {
          if (line.startsWith('event: ')) event = line.slice(7);
          else if (line.startsWith('data: ')) data += line.slice(6);
        }
        yield { event, data: data ? JSON.parse(data) : {} };
      }
    }
  }

  const busy = (on) => {
    send.hidden = on;
    stop.hidden = !on;
    prompt.disabled = on;
  };

  async function submit(text) {
    const mine = bubble('user');
    render(mine.querySelector('.content'), text);
    const reply = bubble('assistant');
    reply.classList.add('streaming');
    const content = reply.querySelector('.content');
    let markdown = '';
    let pending = false;
    const paint = () => {
      if (pending) return;
      pending = true;
      requestAnimationFrame(() => { pending = false; render(content, markdown); scroll(); });
    };
    controller = new AbortController();
    busy(true);
    try {
      const headers = { 'Content-Type': 'application/json', Accept: 'text/event-stream' };
      if (csrfHeader) headers[csrfHeader] = csrfToken;
      const response = await fetch('/chat/send', {
        method: 'POST', headers, signal: controller.signal,
        body: JSON.stringify({ conversation, model: model.value, content: text }),
      });
      if (!response.ok) {
        const body = await response.json().catch(() => ({}));
        throw new Error(body.message || `The server answered ${response.status}.`);
      }
      for await (const { event, data } of events(response)) {
        if (event === 'conversation') {
          if (conversation !== data.id) {
            conversation = data.id;
            main.dataset.conversation = data.id;
            history.replaceState(null, '', `/chat/${data.id}`);
            document.title = `${data.title} · Familiar`;
            document.body.dispatchEvent(new CustomEvent('conversation-added'));
          }
        } else if (event === 'memories') {
          usedMemories(reply, data.used);
          for (const memory of data.remembered) note(mine, `Remembered: ${memory.content}`);
        } else if (event === 'token') {
          markdown += data.t;
          paint();
        } else if (event === 'error') {
          reply.classList.add('failed');
          note(reply, `The reply failed: ${data.message}`);
        } else if (event === 'done') {
          reply.dataset.id = data.id;
          if (data.status === 'stopped') note(reply, 'Stopped.');
          else if (data.status === 'complete') feedbackButtons(reply);
        }
      }
    } catch (error) {
      if (error.name === 'AbortError') {
        note(reply, 'Stopped.');
      } else {
        reply.classList.add('failed');
        note(reply, error.message);
      }
    } finally {
      render(content, markdown);
      reply.classList.remove('streaming');
      busy(false);
      controller = null;
      prompt.focus();
      scroll();
    }
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const text = prompt.value.trim();
    if (!text || controller) return;
    prompt.value = '';
    submit(text);
  });
  prompt.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  stop.addEventListener('click', () => controller?.abort());
})();
