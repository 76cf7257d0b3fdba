// The "Word list" panel: the group's moderated word list (PUT /api/v1/admin/words), or back to
// the configuration's (DELETE).
import { $, plural } from '../ui/dom.js';
import { showNotice } from '../ui/toast.js';
import { api, run } from './api.js';

export async function loadWords() {
  const { words, source } = await api('GET', 'api/v1/admin/words');
  $('#words-text').value = words.join('\n');
  $('#words-source').textContent = source === 'admin'
    ? 'This group has its own list.'
    : "This group uses the configuration file's list.";
  $('#words-source').dataset.source = source;
}

$('#words-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const words = $('#words-text').value.split('\n').map((w) => w.trim()).filter(Boolean);
  if (await run(api('PUT', 'api/v1/admin/words', { words }))) {
    showNotice(`Word list saved (${plural(words.length, 'entry', 'entries')})`);
    await run(loadWords());
  }
});

$('#words-reset').addEventListener('click', async () => {
  if (await run(api('DELETE', 'api/v1/admin/words'))) {
    showNotice("Back to the configuration's word list");
    await run(loadWords());
  }
});
