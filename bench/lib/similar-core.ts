// One size of the similarity core in its own process, so its peak RSS is its own:
// prints one JSON line (songs, pairs scored, CPU and wall seconds, peak RSS).
import { rankAll } from '../../ingest/similar/rank.js';
import { syntheticSongs } from './synthetic-songs.js';

const n = Number(process.argv[2]);
const k = Number(process.argv[3] ?? 20);
const songs = syntheticSongs(n);
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const { stats } = rankAll(songs, k);
const wall = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
console.log(JSON.stringify({ songs: stats.songs, pairs: stats.candidatePairs, cpu: (cpu.user + cpu.system) / 1e6, wall, peakMB: process.resourceUsage().maxRSS / 1024 }));
