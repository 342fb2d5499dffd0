/** One parsed sample of the Prometheus text format. */
export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A metric family: its TYPE, HELP and samples. */
export interface PromFamily {
  type: string;
  help: string;
  samples: PromSample[];
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const SAMPLE_RE = new RegExp(`^(${NAME})(\\{(.*)\\})? (\\S+)(?: (-?\\d+))?$`);
const LABEL_RE = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/y;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const SUFFIXES: Record<string, string[]> = {
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['', '_sum', '_count'],
};

/**
 * A strict parser for the Prometheus text exposition format 0.0.4
 * (https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format): it
 * throws on any line that is not a HELP, a TYPE, a blank line or a well-formed sample, on a
 * sample without a TYPE'd family, and on a family declared twice.
 */
export function parsePrometheusText(text: string): Map<string, PromFamily> {
  const families = new Map<string, PromFamily>();
  const familyOf = (sample: string): PromFamily | undefined => {
    const direct = families.get(sample);
    if (direct && !(direct.type in SUFFIXES)) return direct;
    for (const [name, family] of families) {
      for (const suffix of SUFFIXES[family.type] ?? []) if (`${name}${suffix}` === sample) return family;
    }
    return undefined;
  };
  for (const [i, line] of text.split('\n').entries()) {
    if (line === '') continue;
    const help = /^# HELP (\S+) (.*)$/.exec(line);
    if (help) {
      const f = families.get(help[1]!) ?? { type: '', help: '', samples: [] };
      f.help = help[2]!;
      families.set(help[1]!, f);
      continue;
    }
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) {
      if (!TYPES.has(type[2]!)) throw new Error(`line ${i + 1}: unknown type ${type[2]}`);
      const f = families.get(type[1]!) ?? { type: '', help: '', samples: [] };
      if (f.type !== '') throw new Error(`line ${i + 1}: ${type[1]} typed twice`);
      f.type = type[2]!;
      families.set(type[1]!, f);
      continue;
    }
    if (line.startsWith('#')) continue; // other comments are allowed
    const m = SAMPLE_RE.exec(line);
    if (!m) throw new Error(`line ${i + 1}: not a sample: ${line}`);
    const labels: Record<string, string> = {};
    const body = m[3] ?? '';
    LABEL_RE.lastIndex = 0;
    while (LABEL_RE.lastIndex < body.length) {
      const l = LABEL_RE.exec(body);
      if (!l) throw new Error(`line ${i + 1}: bad labels: ${body}`);
      labels[l[1]!] = l[2]!.replace(/\\n/g, '\n').replace(/\\(["\\])/g, '$1');
    }
    const raw = m[4]!;
    const value = raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : Number(raw);
    if (raw !== 'NaN' && Number.isNaN(value)) throw new Error(`line ${i + 1}: bad value ${raw}`);
    const family = familyOf(m[1]!);
    if (!family || family.type === '') throw new Error(`line ${i + 1}: sample ${m[1]} has no TYPE line`);
    family.samples.push({ name: m[1]!, labels, value });
  }
  return families;
}
