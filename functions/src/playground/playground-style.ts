/** The playground's stylesheet: system fonts, no external resources. */
export const PLAYGROUND_STYLE = `
:root { color-scheme: light dark; --accent: #3b6fd8; --ok: #2e8540; --bad: #c0392b; --muted: #777; --line: #8884; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
header { display: flex; align-items: baseline; gap: 1rem; padding: .8rem 1.2rem; border-bottom: 1px solid var(--line); }
header h1 { margin: 0; font-size: 1.25rem; }
header .health { color: var(--muted); font-size: .85rem; }
main { display: grid; grid-template-columns: minmax(300px, 380px) 1fr; gap: 1.2rem; padding: 1.2rem; }
@media (max-width: 800px) { main { grid-template-columns: 1fr; } }
form { display: flex; flex-direction: column; gap: .8rem; }
label { display: flex; flex-direction: column; gap: .25rem; font-weight: 600; font-size: .9rem; }
label small { font-weight: 400; color: var(--muted); }
input, select, textarea, button { font: inherit; }
input[type=text], input[type=password], input[type=number], select, textarea {
  padding: .4rem .5rem; border: 1px solid var(--line); border-radius: 6px; background: transparent; color: inherit; }
textarea { min-height: 4.5rem; resize: vertical; }
fieldset { border: 1px solid var(--line); border-radius: 8px; display: grid; grid-template-columns: 1fr 1fr; gap: .6rem; }
legend { font-weight: 600; padding: 0 .3rem; }
.drop { border: 2px dashed var(--line); border-radius: 8px; padding: .8rem; text-align: center; cursor: pointer; }
.drop.over { border-color: var(--accent); }
.buttons { display: flex; gap: .6rem; }
button { padding: .5rem 1rem; border-radius: 6px; border: 1px solid var(--accent); cursor: pointer; }
button.primary { background: var(--accent); color: #fff; }
button:disabled { opacity: .5; cursor: default; }
.status { border: 1px solid var(--line); border-radius: 8px; padding: .7rem .9rem; margin-bottom: 1rem; }
.status .state { font-weight: 700; text-transform: uppercase; letter-spacing: .03em; }
.status .state.succeeded { color: var(--ok); }
.status .state.failed, .status .state.expired, .status .state.error { color: var(--bad); }
.status .detail { color: var(--muted); font-size: .9rem; }
.status .error { color: var(--bad); white-space: pre-wrap; }
.bar { height: 10px; border-radius: 5px; background: var(--line); overflow: hidden; margin: .5rem 0; }
.bar > div { height: 100%; width: 0; background: var(--accent); transition: width .2s; }
.compare { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; }
figure { margin: 0; }
figure img { width: 100%; border-radius: 8px; border: 1px solid var(--line); display: block; min-height: 4rem; background: repeating-conic-gradient(#8882 0 25%, transparent 0 50%) 0 0 / 16px 16px; }
figcaption { font-weight: 600; margin-bottom: .3rem; display: flex; justify-content: space-between; }
figcaption a { font-weight: 400; font-size: .85rem; }
.hidden { display: none !important; }
`;
