// Organisation data the screens share: categories, departments, regions (cached per page life).
import { cached } from './api.js';
import { t } from './i18n.js';

export async function categories() {
  const r = await cached('/categories', { active: 'true', limit: 1000 });
  return r.items;
}

// Category <select> options: level-1 groups, level-2/3 entries indented under them.
export async function categoryOptions(noneLabel = t('field.category.none')) {
  const items = await categories();
  const byParent = new Map();
  for (const c of items) {
    const k = c.parent_id ?? 0;
    if (!byParent.has(k)) byParent.set(k, []);
    byParent.get(k).push(c);
  }
  const opts = [['', noneLabel]];
  for (const top of byParent.get(0) || []) {
    const group = [[String(top.id), top.name]];
    for (const mid of byParent.get(top.id) || []) {
      group.push([String(mid.id), '\u3000' + mid.name]);
      for (const leaf of byParent.get(mid.id) || []) group.push([String(leaf.id), '\u3000\u3000' + leaf.name]);
    }
    opts.push({ group: top.name, options: group });
  }
  return opts;
}

export async function categoryById(id) {
  return (await categories()).find((c) => c.id === Number(id)) || null;
}

export async function departments() {
  const r = await cached('/departments', { active: 'true' });
  return r.items;
}

export async function regions(level, boundary = false) {
  const r = await cached('/regions', { level, boundary: boundary ? 1 : undefined });
  return r.items;
}
