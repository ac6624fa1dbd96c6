#!/usr/bin/env node
// Writes cases.jsonl next to this script: for every tokenizer of variants.json (gpt2/tokenizer.json with a patch,
// and the real Qwen3 tokenizer), each text's ids and decode as HuggingFace's Rust `tokenizers` library produces
// them. HfReferenceTest checks our tokenizer against these lines. Regenerate (needs network once, for npm):
//
//   mkdir -p /tmp/hftok && (cd /tmp/hftok && npm install @anush008/tokenizers@0.6.0)
//   NODE_PATH=/tmp/hftok/node_modules node make_reference_cases.js
//
// @anush008/tokenizers 0.6.0 wraps the Rust crate tokenizers 0.22.2 (N-API). `ids` adds no special tokens
// (addSpecialTokens: false; added tokens written in the text are still matched), `ids_special` adds those of the
// post-processor (addSpecialTokens: true); decoding keeps special tokens.
'use strict';
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');
const { Tokenizer } = require('@anush008/tokenizers');

const here = __dirname;
const spec = JSON.parse(fs.readFileSync(path.join(here, 'variants.json'), 'utf8'));
const base = JSON.parse(fs.readFileSync(path.join(here, '..', 'gpt2', 'tokenizer.json'), 'utf8'));

/** The patch semantics HfReferenceTest implements too. */
function patched(patch) {
  const j = JSON.parse(JSON.stringify(base));
  for (const k of ['normalizer', 'pre_tokenizer', 'post_processor', 'decoder']) {
    if (k in patch) j[k] = patch[k];
  }
  if (patch.model) Object.assign(j.model, patch.model);
  if (patch.added_tokens) {
    for (const t of patch.added_tokens) {
      // HuggingFace gives an added token that is already in the vocabulary its vocabulary id (and shifts the
      // others); our reader refuses such files. Keep the variants free of that ambiguity.
      if (t.content in j.model.vocab) throw new Error(t.content + ' is in the vocabulary already');
    }
    j.added_tokens = j.added_tokens.concat(patch.added_tokens);
  }
  return j;
}

async function cases(name, tok, texts, out) {
  for (const text of texts) {
    const enc = await tok.encode(text, null, { addSpecialTokens: false });
    const ids = Array.from(enc.getIds());
    const decoded = await tok.decode(ids, false);
    const special = await tok.encode(text, null, { addSpecialTokens: true });
    out.push(JSON.stringify({ tokenizer: name, text, ids, ids_special: Array.from(special.getIds()), decoded }));
  }
}

(async () => {
  const out = [];
  for (const v of spec.variants) {
    await cases(v.name, Tokenizer.fromString(JSON.stringify(patched(v.patch))), v.texts, out);
  }
  const qwen = zlib.gunzipSync(fs.readFileSync(path.join(here, '..', 'qwen3', 'tokenizer.json.gz'))).toString('utf8');
  await cases('qwen3', Tokenizer.fromString(qwen), spec.qwen3.texts, out);
  fs.writeFileSync(path.join(here, 'cases.jsonl'), out.join('\n') + '\n');
  console.log('wrote ' + out.length + ' cases');
})().catch(e => { console.error(e); process.exit(1); });
