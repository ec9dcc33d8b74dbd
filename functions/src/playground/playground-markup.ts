import { EDIT_LIMITS, OUTPUT_FORMATS, SIZE_MODES } from '#core/edit-parameters.ts';
import { LANES } from '#core/jobs/job-record.ts';
import type { ApiDefaults } from '../api/api-config.ts';

const options = (values: readonly string[], selected: string) =>
  values
    .map(
      (value) =>
        `<option value="${value}"${value === selected ? ' selected' : ''}>${value}</option>`,
    )
    .join('');

function numberInput(
  id: string,
  label: string,
  field: keyof typeof EDIT_LIMITS,
  value: number,
  step: string,
): string {
  const { min, max } = EDIT_LIMITS[field];
  return `<label>${label} <small>${min}–${max}</small><input id="${id}" name="${field}" type="number" min="${min}" max="${max}" step="${step}" value="${value}" required></label>`;
}

/**
 * The page's body. The parameters, their ranges and their defaults come from core's EDIT_LIMITS and
 * the API's configured defaults, so the page offers exactly what the API accepts.
 */
export function playgroundMarkup(defaults: ApiDefaults): string {
  return `
<header>
  <h1>VIBE playground</h1>
  <span class="health" id="health">checking the API…</span>
</header>
<main>
  <form id="edit-form" autocomplete="off">
    <label>API key <small>Local mode prints one at start; kept in this tab only.</small>
      <input id="api-key" type="password" autocomplete="off" placeholder="vibe_…" spellcheck="false">
    </label>
    <label>Image <small>JPEG, PNG or WebP</small>
      <input id="image" type="file" accept="image/jpeg,image/png,image/webp" required>
    </label>
    <div class="drop" id="drop">…or drop an image here</div>
    <label>Instruction
      <textarea id="instruction" name="instruction" maxlength="2000" placeholder="make it winter" required></textarea>
    </label>
    <fieldset>
      <legend>Parameters</legend>
      ${numberInput('steps', 'Steps', 'steps', defaults.steps, '1')}
      ${numberInput('seed', 'Seed', 'seed', defaults.seed, '1')}
      ${numberInput('guidance', 'Guidance', 'guidanceScale', defaults.guidanceScale, '0.1')}
      ${numberInput('image-guidance', 'Image guidance', 'imageGuidanceScale', defaults.imageGuidanceScale, '0.1')}
      <label>Format<select id="format" name="output.format">${options(OUTPUT_FORMATS, defaults.outputFormat)}</select></label>
      <label id="quality-label" class="hidden">Quality <small>1–100</small><input id="quality" name="output.quality" type="number" min="1" max="100" step="1" value="90"></label>
      <label>Size mode<select id="size-mode" name="sizeMode">${options(SIZE_MODES, defaults.sizeMode)}</select></label>
      <label>Lane<select id="lane" name="lane">${options(LANES, defaults.lane)}</select></label>
    </fieldset>
    <div class="buttons">
      <button class="primary" id="submit" type="submit">Edit</button>
      <button id="cancel" type="button" disabled>Cancel</button>
      <button id="random-seed" type="button" title="Put a random seed in the Seed field">Random seed</button>
    </div>
  </form>
  <section>
    <div class="status" id="status-box">
      <div><span class="state" id="state">idle</span> <span class="detail" id="job-id"></span></div>
      <div class="detail" id="detail">Pick an image, type an instruction, press Edit.</div>
      <div class="bar hidden" id="bar"><div id="bar-fill"></div></div>
      <div class="error hidden" id="error"></div>
    </div>
    <div class="compare">
      <figure><figcaption>Before</figcaption><img id="before" alt="the input image"></figure>
      <figure><figcaption>After <a id="download" class="hidden" download>download</a></figcaption><img id="after" alt="the edited image"></figure>
    </div>
  </section>
</main>`;
}
