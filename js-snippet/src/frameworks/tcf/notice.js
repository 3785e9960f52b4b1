/**
 * What TCF policy asks of the first layer, added to the banner: a sentence naming the number of vendors, the
 * purposes and special features (and that some rely on legitimate interest), and a button "Partners and
 * purposes (n)" that opens the second layer. Added once per banner; the banner's own content is left as it is.
 */
import { el } from '../../utils/dom.js';
import { fill } from '../../utils/i18n.js';
import { liPurposes } from './model.js';

/** Adds the sentence and the button to the banner `root` unless present; returns the button. */
export function decorate({ doc, root, gvl, labels, onOpen }) {
  const present = root.querySelector('[data-tcf-action="partners"]');
  if (present) return present;
  const count = Object.keys(gvl.vendors).length;
  const buttonText = fill(labels.partners, { count });
  const purposes = Object.values(gvl.purposes).map((p) => p.name).join('; ');
  const features = Object.values(gvl.specialFeatures || {}).map((f) => f.name).join('; ');
  const sentence = el(
    doc,
    'p',
    { id: 'cs-tcf-first', class: 'cs-tcf-first' },
    fill(labels.intro, { count, purposes }),
    features && ' ' + fill(labels.special_note, { features }),
    liPurposes(gvl).length > 0 && ' ' + fill(labels.li_note, { button: buttonText }),
  );
  const button = el(doc, 'button', { type: 'button', 'data-tcf-action': 'partners', 'aria-haspopup': 'dialog' }, buttonText);
  button.addEventListener('click', () => onOpen(button));
  const desc = root.querySelector('#cs-desc');
  const buttons = root.querySelector('.cs-btns');
  if (desc) desc.after(sentence);
  else if (buttons) buttons.before(sentence);
  else root.append(sentence);
  (buttons || root).append(button);
  return button;
}
