import type { Song } from '../model.js';
import type { SimilarAnswer } from '../similar-songs.js';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

const STYLE = `body{font:15px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#1d2430}
h1{margin-bottom:0}.artist{color:#5b6575;margin-top:.2rem}.chips{display:flex;flex-wrap:wrap;gap:.4rem;padding:0;list-style:none}
.chips li{background:#e8eef7;border-radius:1rem;padding:.1rem .7rem}table{border-collapse:collapse;width:100%}
td,th{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #e3e7ee}th{font-weight:600}.score{font-variant-numeric:tabular-nums}
.muted{color:#5b6575}`;

function layout(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${esc(title)} · shoal</title><style>${STYLE}</style></head><body>${body}</body></html>`;
}

/** A song, its instruments and the songs most like it, each linking to its own page. */
export function renderSongPage(song: Song, similar: SimilarAnswer): string {
  const chips = song.instruments.length ? `<ul class="chips" id="instruments">${song.instruments.map((i) => `<li>${esc(i)}</li>`).join('')}</ul>` : '<p class="muted" id="instruments">No instruments known.</p>';
  const rows = similar.items
    .map((s) => `<tr><td><a href="/songs/${esc(s.song.id)}">${esc(s.song.title)}</a></td><td>${esc(s.song.artist)}</td><td class="score">${(s.score * 100).toFixed(0)} %</td><td>${esc(s.shared.join(', '))}</td></tr>`)
    .join('');
  const table = similar.items.length
    ? `<table id="similar"><thead><tr><th>Song</th><th>Artist</th><th>Similarity</th><th>Shared instruments</th></tr></thead><tbody>${rows}</tbody></table>`
    : `<p class="muted" id="similar">${similar.computedAt ? 'No song shares an instrument with this one.' : 'Similar songs have not been computed yet (run shoal ingest similar).'}</p>`;
  const when = similar.computedAt ? `<p class="muted">Computed ${esc(similar.computedAt)}.</p>` : '';
  return layout(song.title, `<h1>${esc(song.title)}</h1><p class="artist">${esc(song.artist)}</p><h2>Instruments</h2>${chips}<h2>Similar songs</h2>${table}${when}`);
}

export function renderNotFoundPage(id: string): string {
  return layout('Song not found', `<h1>Song not found</h1><p class="muted">No song has the id ${esc(id)}.</p>`);
}
