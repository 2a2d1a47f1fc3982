// The layers of src/ (README, Development): imports only go down, never sideways between the folders
// of one layer (edges, workflows, commands), never in a circle. `npm run lint:deps` checks it; CI fails
// when an import goes the wrong way.
const LAYERS = [
  ['entry', '^src/(main[.]ts$|cli/)'],
  ['commands', '^src/commands/'],
  ['workflows', '^src/(each|batch|conversation|alt|diff)/'],
  ['core', '^src/(plan|request|estimate|session|results|pace|client|account)/'],
  ['edges', '^src/(inputs|api|output)/'],
  ['leaves', '^src/((?!main[.]ts$)[a-z-]+[.]ts$|store/)'],
];

const upward = [];
LAYERS.forEach(([lower, from], i) => {
  LAYERS.slice(0, i).forEach(([higher, to]) => {
    upward.push({
      name: `no-${lower}-to-${higher}`,
      comment: `${lower} may not import ${higher}: imports go down the layers`,
      severity: 'error',
      from: { path: from },
      to: { path: to },
    });
  });
});

/** Folders of one layer stay apart: what they share lives a layer down. */
const apart = (layer, group) => ({
  name: `${layer}-apart`,
  comment: `one ${layer} folder may not import another: move what they share down a layer`,
  severity: 'error',
  from: { path: `^src/${group}` },
  to: { path: `^src/${group}`, pathNot: '^src/$1([./]|$)' },
});

module.exports = {
  forbidden: [
    { name: 'no-circular', comment: 'no import circles', severity: 'error', from: {}, to: { circular: true } },
    ...upward,
    apart('edges', '(inputs|api|output)/'),
    apart('workflows', '(each|batch|conversation|alt|diff)/'),
    apart('commands', 'commands/([^/.]+)'),
    {
      name: 'no-v8-flags-or-vm',
      comment: 'speed comes from loading and allocating less, never from V8 flags at run time or a hand-made loader',
      severity: 'error',
      from: { path: '^(src|bin)/' },
      to: { path: '^(node:)?(v8|vm)$' },
    },
    {
      name: 'src-not-to-test',
      comment: 'the product does not import its tests, bench or scripts',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench|scripts)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    includeOnly: '^(src|bin)/',
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
