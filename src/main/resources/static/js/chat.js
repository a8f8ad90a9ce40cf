// Familiar web chat: sends a message, reads the reply as server-sent events from a streaming fetch,
// renders markdown safely (marked + DOMPurify + highlight.js); stop, regenerate, edit and resend,
// versions, copy, rename, per-chat settings and generated titles.
(() => {
  const main = document.querySelector('main.chat');
  const layout = document.getElementById('chat-layout');
  const messages = document.getElementById('messages');
  const form = document.getElementById('composer');
  const prompt = document.getElementById('prompt');
  const send = document.getElementById('send');
  const stop = document.getElementById('stop');
  const model = document.getElementById('model');
  const words = document.getElementById('chat-text').dataset;
  const csrfToken = document.querySelector('meta[name=_csrf]')?.content;
  const csrfHeader = document.querySelector('meta[name=_csrf_header]')?.content;
  let conversation = main.dataset.conversation || null;
  let controller = null;
  // A new chat's system prompt and temperature, sent with its first message.
  let pendingSettings = {};
  // Images and files to go with the next message: picked, pasted or dropped.
  let attached = [];
  const pendingList = document.getElementById('pending');
  const attachInput = document.getElementById('attach-input');
  const chips = (list, files) => {
    list.replaceChildren();
    files.forEach((file, index) => {
      const item = document.createElement('li');
      if (file.type.startsWith('image/')) {
        item.className = 'image';
        const image = document.createElement('img');
        image.src = URL.createObjectURL(file);
        image.alt = file.name;
        item.appendChild(image);
      } else {
        item.className = 'file';
        item.innerHTML = `<span class="file-chip">${icon('file')}<span></span></span>`;
        item.querySelector('span span').textContent = file.name;
      }
      if (list === pendingList) {
        const remove = document.createElement('button');
        remove.type = 'button';
        remove.className = 'icon-button remove';
        remove.setAttribute('aria-label', `${words.remove} ${file.name}`);
        remove.innerHTML = icon('close');
        remove.addEventListener('click', () => { attached.splice(index, 1); showPending(); prompt.focus(); });
        item.appendChild(remove);
      }
      list.appendChild(item);
    });
    list.hidden = files.length === 0;
  };
  const showPending = () => chips(pendingList, attached);
  const take = (files) => {
    for (const file of files) {
      if (attached.length >= 5) { note(form, words.tooMany); break; }
      attached.push(file);
    }
    showPending();
  };
  // "Use in chat" on Create: /chat?attach=/api/media/files/ID/content attaches that image of the person's gallery.
  const fromGallery = new URLSearchParams(window.location.search).get('attach');
  if (fromGallery && /^\/api\/media\/files\/[0-9a-f-]{36}\/content$/.test(fromGallery)) {
    fetch(fromGallery).then((r) => (r.ok ? r.blob() : null)).then((blob) => {
      if (blob && blob.type.startsWith('image/')) take([new File([blob], 'created.' + blob.type.split('/')[1], { type: blob.type })]);
    }).catch(() => {});
  }
  document.getElementById('attach').addEventListener('click', () => attachInput.click());
  attachInput.addEventListener('change', () => { take(attachInput.files); attachInput.value = ''; });
  prompt.addEventListener('paste', (event) => {
    const files = [...(event.clipboardData?.files ?? [])];
    if (files.length) { event.preventDefault(); take(files); }
  });
  for (const zone of [form, messages]) {
    zone.addEventListener('dragover', (event) => { event.preventDefault(); form.classList.add('dropping'); });
    zone.addEventListener('dragleave', () => form.classList.remove('dropping'));
    zone.addEventListener('drop', (event) => {
      event.preventDefault();
      form.classList.remove('dropping');
      take([...(event.dataTransfer?.files ?? [])]);
    });
  }

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
  // Each message's own text (markdown), for copying and editing.
  const raw = new WeakMap();
  const icon = (name) => `<svg class="icon" aria-hidden="true"><use href="/img/icons.svg#${name}"></use></svg>`;
  const render = (element, text) => {
    raw.set(element.closest('article') || element, text);
    element.innerHTML = DOMPurify.sanitize(marked.parse(text), untrusted);
    element.querySelectorAll('pre code').forEach((block) => {
      hljs.highlightElement(block);
      // Familiar's own button, added after sanitizing: never part of the message.
      const copy = document.createElement('button');
      copy.type = 'button';
      copy.className = 'icon-button copy-code';
      copy.setAttribute('aria-label', words.copyCode);
      copy.title = words.copyCode;
      copy.innerHTML = icon('copy');
      block.parentElement.appendChild(copy);
    });
  };
  const renderAll = () => messages.querySelectorAll('.md').forEach((element) => render(element, element.textContent));
  renderAll();
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
    article.querySelector('.actions') ? article.querySelector('.actions').before(status) : article.appendChild(status);
  };
  const button = (action, label, name, extra = '') => `<button type="button" class="icon-button ${extra}" data-action="${action}"`
    + ` aria-label="${label}" title="${label}">${icon(name)}</button>`;
  // The buttons under a message written in this page (a reload brings the server's, the same).
  const actions = (article, role, rated) => {
    const box = document.createElement('div');
    box.className = 'actions';
    box.innerHTML = button('copy', words.copy, 'copy')
      + (role === 'user' ? button('edit', words.edit, 'edit') : button('regenerate', words.regenerate, 'retry'))
      + (rated ? `<span class="feedback">${button('', words.good, 'thumb-up', 'thumb up')}${button('', words.bad, 'thumb-down', 'thumb down')}</span>` : '');
    box.querySelectorAll('.thumb').forEach((thumb) => { thumb.removeAttribute('data-action'); thumb.setAttribute('aria-pressed', 'false'); });
    article.appendChild(box);
  };

  const request = async (url, body) => {
    const headers = { 'Content-Type': 'application/json', Accept: 'application/json' };
    if (csrfHeader) headers[csrfHeader] = csrfToken;
    const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body ?? {}) });
    if (!response.ok) {
      const answer = await response.json().catch(() => ({}));
      throw new Error(answer.message || answer.detail || `The server answered ${response.status}.`);
    }
    return response.status === 204 ? {} : response.json();
  };

  // "Used N memories", listing each memory with a link to it on the memory page.
  const usedMemories = (article, used) => {
    if (!used.length) return;
    const details = document.createElement('details');
    details.className = 'used-memories';
    const summary = document.createElement('summary');
    summary.textContent = used.length === 1 ? words.memory : words.memories.replace('{n}', used.length);
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

  // Thumbs up or down: rated at once; an optional reason, sent after, becomes a preference memory.
  const rate = async (thumb) => {
    const article = thumb.closest('article');
    const box = thumb.closest('.feedback');
    const rating = thumb.classList.contains('up') ? 1 : -1;
    box.querySelectorAll('.thumb').forEach((b) => {
      b.classList.toggle('chosen', b === thumb);
      b.setAttribute('aria-pressed', String(b === thumb));
    });
    try {
      await request(`/chat/messages/${article.dataset.id}/feedback`, { rating });
    } catch (error) {
      note(article, error.message);
      return;
    }
    article.querySelector('form.why')?.remove();
    const why = document.createElement('form');
    why.className = 'why';
    why.innerHTML = '<input name="reason" maxlength="500"><button type="submit"></button>';
    why.querySelector('input').placeholder = words.why;
    why.querySelector('input').setAttribute('aria-label', words.why);
    why.querySelector('button').textContent = words.send;
    article.appendChild(why);
    why.querySelector('input').focus();
    why.addEventListener('submit', async (submitEvent) => {
      submitEvent.preventDefault();
      const reason = why.querySelector('input').value.trim();
      if (!reason) { why.remove(); return; }
      try {
        const answer = await request(`/chat/messages/${article.dataset.id}/feedback`, { rating, reason });
        why.remove();
        if (answer.memory) note(article, `${words.remembered} ${answer.memory}`);
      } catch (error) {
        note(article, error.message);
      }
    });
  };

  // Editing one of the person's messages in place; saving sends it again (a new version).
  const edit = (article) => {
    if (controller || article.querySelector('form.editing')) return;
    const content = article.querySelector('.content');
    const editor = document.createElement('form');
    editor.className = 'editing';
    editor.innerHTML = '<textarea rows="3" required></textarea><div class="row"><button type="submit" class="primary"></button>'
      + '<button type="button" class="link"></button></div>';
    const area = editor.querySelector('textarea');
    area.value = raw.get(article) ?? content.textContent;
    area.setAttribute('aria-label', words.edit);
    editor.querySelector('.primary').textContent = words.saveSend;
    editor.querySelector('.link').textContent = words.cancel;
    content.hidden = true;
    content.after(editor);
    area.focus();
    editor.querySelector('.link').addEventListener('click', () => { editor.remove(); content.hidden = false; });
    editor.addEventListener('submit', (event) => {
      event.preventDefault();
      const text = area.value.trim();
      if (!text) return;
      cut(article);
      submit({ text, edit: article.dataset.id });
    });
  };
  // Removes a message and everything after it (they are being replaced).
  const cut = (article) => {
    while (article.nextElementSibling) article.nextElementSibling.remove();
    article.remove();
  };

  // Loads the conversation as the server now shows it (versions and all) in place of this one.
  const refresh = async () => {
    if (!conversation) return;
    const page = await fetch(`/chat/${conversation}`, { headers: { Accept: 'text/html' } });
    if (!page.ok) return;
    const fresh = new DOMParser().parseFromString(await page.text(), 'text/html').getElementById('messages');
    if (!fresh) return;
    messages.replaceChildren(...fresh.childNodes);
    renderAll();
    scroll();
  };

  messages.addEventListener('click', async (event) => {
    const copyCode = event.target.closest('.copy-code');
    if (copyCode) {
      await copyText(copyCode.parentElement.querySelector('code').textContent, copyCode);
      return;
    }
    const thumb = event.target.closest('.thumb');
    if (thumb) { await rate(thumb); return; }
    const control = event.target.closest('[data-action]');
    if (!control) return;
    const article = control.closest('article');
    const action = control.dataset.action;
    if (action === 'copy') {
      await copyText(raw.get(article) ?? article.querySelector('.content').textContent, control);
    } else if (action === 'edit') {
      edit(article);
    } else if (action === 'regenerate' && !controller) {
      const id = article.dataset.id;
      cut(article);
      submit({ regenerate: id });
    } else if (action === 'version' && control.dataset.target) {
      try {
        await request(`/chat/messages/${control.dataset.target}/select`);
        await refresh();
      } catch (error) {
        note(article, error.message);
      }
    }
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

  // While a reply streams the box stays usable (write the next message); Send becomes Stop.
  const busy = (on) => {
    send.hidden = on;
    stop.hidden = !on;
  };

  const title = document.getElementById('chat-title');
  const showTitle = (text) => {
    title.textContent = text;
    document.title = `${text} · Familiar`;
    const input = document.getElementById('rename-input');
    if (input) input.value = text;
  };
  // After the first reply the model names the conversation (batch work); the list follows.
  const nameConversation = async () => {
    if (main.dataset.titled !== 'false' || !conversation) return;
    main.dataset.titled = 'true';
    try {
      const answer = await request(`/chat/${conversation}/title`);
      showTitle(answer.title);
      document.body.dispatchEvent(new CustomEvent('conversation-added'));
    } catch {
      // The start of the first message stays the title.
    }
  };

  let stopping = null;
  async function submit({ text = null, edit: editOf = null, regenerate = null }) {
    const files = attached;
    attached = [];
    showPending();
    if (text !== null) {
      const mine = bubble('user');
      if (files.length) {
        const list = document.createElement('ul');
        list.className = 'attachments';
        chips(list, files);
        mine.prepend(list);
      }
      render(mine.querySelector('.content'), text);
    }
    const mine = messages.querySelector('article.user:last-of-type');
    const reply = bubble('assistant');
    reply.classList.add('streaming');
    const content = reply.querySelector('.content');
    let markdown = '';
    let pending = false;
    let replyId = null;
    let status = null;
    const paint = () => {
      if (pending) return;
      pending = true;
      requestAnimationFrame(() => { pending = false; if (!stopping) { render(content, markdown); scroll(); } });
    };
    controller = new AbortController();
    stopping = null;
    // Stop keeps exactly what is on screen: paint it now, then tell the server how much that was.
    const onStop = () => {
      render(content, markdown);
      stopping = { shown: [...markdown].length };
      controller?.abort();
      if (replyId) request(`/chat/messages/${replyId}/stop`, stopping).catch(() => {});
    };
    stop.onclick = onStop;
    busy(true);
    try {
      const headers = { Accept: 'text/event-stream' };
      if (csrfHeader) headers[csrfHeader] = csrfToken;
      const message = { conversation, model: model.value, content: text, edit: editOf, regenerate };
      if (!conversation) Object.assign(message, pendingSettings);
      let body;
      if (files.length) {
        // With images or files: multipart, the message as JSON beside them.
        body = new FormData();
        body.append('message', JSON.stringify(message));
        files.forEach((file) => body.append('files', file, file.name));
      } else {
        headers['Content-Type'] = 'application/json';
        body = JSON.stringify(message);
      }
      const response = await fetch('/chat/send', { method: 'POST', headers, signal: controller.signal, body });
      if (!response.ok) {
        const answer = await response.json().catch(() => ({}));
        throw new Error(answer.message || `The server answered ${response.status}.`);
      }
      for await (const { event, data } of events(response)) {
        if (event === 'conversation') {
          if (conversation !== data.id) {
            conversation = data.id;
            main.dataset.conversation = data.id;
            main.dataset.titled = data.titled;
            history.replaceState(null, '', `/chat/${data.id}`);
            const current = document.querySelector('#search-form [name=current]');
            if (current) current.value = data.id;
            showTitle(data.title);
            document.body.dispatchEvent(new CustomEvent('conversation-added'));
          }
        } else if (event === 'reply') {
          replyId = data.id;
          reply.dataset.id = data.id;
        } else if (event === 'memories') {
          usedMemories(reply, data.used);
          for (const memory of data.remembered) if (mine) note(mine, `${words.remembered} ${memory.content}`);
        } else if (event === 'notes') {
          for (const understood of data.notes) {
            if (!mine) continue;
            note(mine, understood.text);
            if (understood.link && understood.link.startsWith('/')) {
              const change = document.createElement('a');
              change.href = understood.link;
              change.textContent = words.noteChange;
              const shown = [...mine.querySelectorAll('.status')].pop();
              shown.classList.add('note');
              shown.append(' ', change);
            }
          }
        } else if (event === 'token') {
          markdown += data.t;
          paint();
        } else if (event === 'error') {
          reply.classList.add('failed');
          note(reply, `${words.failed} ${data.message}`);
        } else if (event === 'done') {
          reply.dataset.id = data.id;
          status = data.status;
        }
      }
    } catch (error) {
      if (error.name === 'AbortError') {
        status = 'stopped';
      } else {
        reply.classList.add('failed');
        note(reply, error.message);
      }
    } finally {
      if (!stopping) render(content, markdown);
      reply.classList.remove('streaming');
      if (status === 'stopped') { reply.classList.add('stopped'); note(reply, words.stopped); }
      if (replyId) actions(reply, 'assistant', status === 'complete');
      if (mine && text !== null && !mine.querySelector('.actions')) actions(mine, 'user', false);
      busy(false);
      controller = null;
      stop.onclick = null;
      if (document.activeElement === stop || document.activeElement === document.body) prompt.focus();
      scroll();
    }
    // A new version of a message: show its place's versions as the server has them now.
    if (editOf || regenerate) await refresh();
    if (status === 'complete') await nameConversation();
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const text = prompt.value.trim();
    if (!text || controller) return;
    prompt.value = '';
    submit({ text });
  });
  prompt.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  // The conversation list is a drawer on phones.
  const openDrawer = (open) => {
    layout.classList.toggle('drawer-open', open);
    document.querySelector('[data-drawer-open]')?.setAttribute('aria-expanded', String(open));
    if (open) document.getElementById('search')?.focus();
  };
  document.addEventListener('click', (event) => {
    if (event.target.closest('[data-drawer-open]')) openDrawer(true);
    else if (event.target.closest('[data-drawer-close]')) openDrawer(false);
  });
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && layout.classList.contains('drawer-open')) openDrawer(false);
  });

  // Renaming in place.
  const rename = document.getElementById('rename');
  const renameForm = document.getElementById('rename-form');
  if (rename && renameForm) {
    const close = () => { renameForm.hidden = true; title.hidden = false; rename.hidden = false; rename.focus(); };
    rename.addEventListener('click', () => {
      renameForm.hidden = false;
      title.hidden = true;
      rename.hidden = true;
      renameForm.querySelector('input').select();
    });
    document.getElementById('rename-cancel').addEventListener('click', close);
    renameForm.addEventListener('submit', async (event) => {
      event.preventDefault();
      try {
        const answer = await request(`/chat/${conversation}/rename`, { title: renameForm.querySelector('input').value });
        showTitle(answer.title);
        main.dataset.titled = 'true';
        document.body.dispatchEvent(new CustomEvent('conversation-added'));
        close();
      } catch (error) {
        renameForm.querySelector('input').setCustomValidity(error.message);
        renameForm.reportValidity();
        renameForm.querySelector('input').setCustomValidity('');
      }
    });
  }

  // The chat's system prompt and temperature.
  const settings = document.getElementById('chat-settings');
  settings.addEventListener('submit', async (event) => {
    event.preventDefault();
    const saved = document.getElementById('chat-settings-saved');
    const temperature = settings.querySelector('[name=temperature]').value;
    const values = { system: settings.querySelector('[name=system]').value, temperature: temperature === '' ? null : Number(temperature) };
    try {
      if (conversation) await request(`/chat/${conversation}/settings`, values);
      else pendingSettings = values;
      saved.classList.remove('error');
      saved.textContent = words.saved;
    } catch (error) {
      saved.classList.add('error');
      saved.textContent = error.message;
    }
  });
})();
