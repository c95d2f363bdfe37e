import t from 'tap';
import { Prng } from '../../fuzzer/prng.js';
import { compareNeighbours, mergeNeighbour, rankAll, SimilarityIndex } from '../../ingest/similar/rank.js';

// Hand-checked set: a = {piano, bass, drums}, b = {piano, bass, violin}, c = {piano, drums},
// d = {theremin}, e = {piano, bass, drums} (same set as a), f = {Piano} (case differs).
const songs = [
  { id: 'a', instruments: ['piano', 'bass', 'drums'] },
  { id: 'b', instruments: ['piano', 'bass', 'violin'] },
  { id: 'c', instruments: ['piano', 'drums'] },
  { id: 'd', instruments: ['theremin'] },
  { id: 'e', instruments: ['piano', 'bass', 'drums'] },
  { id: 'f', instruments: ['Piano'] },
];

t.test('Jaccard ranks, rarer shared instruments break ties, then id', async (t) => {
  const { lists } = rankAll(songs, 10);
  // a: e 3/3 = 1; c 2/3; b 2/4 = .5; f 1/3.
  t.same(lists.get('a')!.map((n) => [n.id, n.score]), [['e', 1], ['c', 0.666667], ['b', 0.5], ['f', 0.333333]]);
  t.same(lists.get('a')![1]!.shared, ['drums', 'piano']);
  // f: a, b, c, e all share piano only: c has 1/2, the rest 1/3; piano is in 5 of 6 songs.
  t.same(lists.get('f')!.map((n) => n.id), ['c', 'a', 'b', 'e']);
  t.same(lists.get('d'), [], 'a song sharing nothing has no neighbours');
});

t.test('a tie on Jaccard goes to the song sharing the rarer instrument', async (t) => {
  // x shares "common" with y and "rare" with z: both 1/3, z wins on IDF.
  const set = [
    { id: 'x', instruments: ['common', 'rare'] },
    { id: 'y', instruments: ['common', 'other1'] },
    { id: 'z', instruments: ['rare', 'other2'] },
    { id: 'w1', instruments: ['common', 'a1', 'a2'] },
    { id: 'w2', instruments: ['common', 'q', 'r', 's', 't'] },
  ];
  const { lists } = rankAll(set, 2);
  // y and z both score 1/3 ("common" is in 4 songs, "rare" in 2); w1 and w2 score less.
  t.same(lists.get('x')!.map((n) => [n.id, n.score]), [['z', 0.333333], ['y', 0.333333]]);
  t.ok(lists.get('x')![0]!.rarity > lists.get('x')![1]!.rarity);
});

t.test('top k keeps the k best; without pruning the work is every pair sharing an instrument', async (t) => {
  const { lists, stats } = rankAll(songs, 5);
  t.equal(lists.get('a')!.length, 4);
  // piano: a b c e f (5) → 20 ordered pairs; bass and drums add no new pair. k = 5 never prunes.
  t.equal(stats.candidatePairs, 20);
  t.ok(rankAll(songs, 1).stats.candidatePairs < 20, 'k = 1 prunes');
});

t.test('prefix filtering returns exactly what scoring every candidate returns', async (t) => {
  const prng = new Prng(42);
  const vocab = Array.from({ length: 30 }, (_, i) => `i${i}`);
  // Skewed: low-numbered instruments are common, so pruning has work to skip.
  const set = Array.from({ length: 400 }, (_, n) => ({ id: `s${n}`, instruments: Array.from({ length: prng.int(1, 6) }, () => vocab[Math.floor(prng.next() ** 2 * vocab.length)]!) }));
  const index = new SimilarityIndex(set);
  for (const k of [1, 3, 10]) {
    let differ = 0;
    for (const s of set) {
      const brute = index.candidates(s.id).sort(compareNeighbours).slice(0, k);
      if (JSON.stringify(index.neighbours(s.id, k)) !== JSON.stringify(brute)) differ++;
    }
    t.equal(differ, 0, `k = ${k}: every list identical`);
  }
});

t.test('merging an entry keeps order and k, replaces an older entry for the same id', async (t) => {
  const list = [
    { id: 'p', score: 0.9, rarity: 1, shared: [] },
    { id: 'q', score: 0.5, rarity: 1, shared: [] },
  ];
  t.same(mergeNeighbour(list, { id: 'n', score: 0.7, rarity: 0, shared: [] }, 2)!.map((n) => n.id), ['p', 'n']);
  t.equal(mergeNeighbour(list, { id: 'n', score: 0.1, rarity: 0, shared: [] }, 2), undefined, 'too weak to enter');
  t.same(mergeNeighbour(list, { id: 'q', score: 0.1, rarity: 0, shared: [] }, 2)!.map((n) => [n.id, n.score]), [['p', 0.9], ['q', 0.1]]);
});

t.test('candidates are every song sharing an instrument', async (t) => {
  const index = new SimilarityIndex(songs);
  t.same(index.candidates('c').map((n) => n.id).sort(), ['a', 'b', 'e', 'f']);
  t.same(index.candidates('nope'), []);
});
