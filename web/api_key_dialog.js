// The API key form (index.html's #api-key-dialog): shown when the server answers 401, it resolves
// to the key typed, or to null when the person cancels (the button or Escape).
export function keyDialog(dialog) {
  const form = dialog.querySelector('form');
  const input = dialog.querySelector('#api-key');
  const reason = dialog.querySelector('#api-key-reason');
  dialog.querySelector('#api-key-cancel').addEventListener('click', () => dialog.close('cancel'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const key = input.value.trim();
    if (key) dialog.close('ok');
  });

  return (message) => new Promise((resolve) => {
    reason.textContent = message;
    input.value = '';
    dialog.returnValue = '';
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok' ? input.value.trim() : null), { once: true });
    dialog.showModal();
    input.focus();
  });
}
