import * as fs from 'node:fs';
import * as path from 'node:path';
import { MissingResourceError } from '../core/errors.js';
import { fuseLora, loadLora } from './lora.js';

/**
 * Materialises teacher + LCM-LoRA as a model folder `outDir` (replaced if present): tokenizer, text
 * encoder and VAE decoder copied from the teacher, the LoRA fused into the teacher's UNet, and the
 * LCMScheduler config that sits beside the LoRA file. Load the result with loadPipeline (family sd,
 * LCMScheduler; guidance as the LoRA was distilled for).
 */
export function fuseLcmLoraFolder(teacherDir: string, loraFile: string, outDir: string): { matched: number; unmatched: number } {
  for (const f of [path.join(teacherDir, 'unet', 'model.onnx'), loraFile, path.join(path.dirname(loraFile), 'scheduler_config.json')]) {
    if (!fs.existsSync(f)) throw new MissingResourceError(f, `fuseLcmLoraFolder needs ${f}`);
  }
  fs.rmSync(outDir, { recursive: true, force: true });
  fs.mkdirSync(outDir, { recursive: true });
  for (const part of ['tokenizer', 'text_encoder', 'vae_decoder']) fs.cpSync(path.join(teacherDir, part), path.join(outDir, part), { recursive: true, dereference: true });
  fs.mkdirSync(path.join(outDir, 'unet'));
  fs.mkdirSync(path.join(outDir, 'scheduler'));
  const { bytes, report } = fuseLora(fs.readFileSync(path.join(teacherDir, 'unet', 'model.onnx')), loadLora(loraFile));
  fs.writeFileSync(path.join(outDir, 'unet', 'model.onnx'), bytes);
  fs.copyFileSync(path.join(teacherDir, 'unet', 'config.json'), path.join(outDir, 'unet', 'config.json'));
  fs.copyFileSync(path.join(path.dirname(loraFile), 'scheduler_config.json'), path.join(outDir, 'scheduler', 'scheduler_config.json'));
  const index = JSON.parse(fs.readFileSync(path.join(teacherDir, 'model_index.json'), 'utf8')) as Record<string, unknown>;
  index.scheduler = ['diffusers', 'LCMScheduler'];
  fs.writeFileSync(path.join(outDir, 'model_index.json'), JSON.stringify(index, null, 2));
  return { matched: report.matched.length, unmatched: report.unmatched.length };
}

