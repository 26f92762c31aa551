import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { evalMethods, GUIDANCE } from '../../src/cli/evalModels.js';
import { methodId } from '../../src/evaluation/method.js';

const repo = path.resolve(__dirname, '..', '..', '..');

/** A models folder with empty unet/model.onnx files for `folders` (evalMethods only checks that they exist). */
function modelsWith(folders: readonly string[], lora = true): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'fewstep-evalrows-'));
  for (const f of folders) {
    fs.mkdirSync(path.join(root, f, 'unet'), { recursive: true });
    fs.writeFileSync(path.join(root, f, 'unet', 'model.onnx'), '');
  }
  if (lora) {
    fs.mkdirSync(path.join(root, 'scenes-lcm-lora'));
    fs.writeFileSync(path.join(root, 'scenes-lcm-lora', 'lora.safetensors'), '');
  }
  return root;
}

describe('eval:models rows', () => {
  test('the shipped family: teacher DDIM and DPM-Solver++ at 25/8/4 with trailing spacing, the leading default once, then the students', () => {
    const methods = evalMethods(path.join(repo, 'models'), (dir) => (dir.endsWith('scenes-lcm') ? 4 : 0));
    const teacher = methods.filter((m) => m.name.startsWith('teacher'));
    assert.deepEqual(
      teacher.map((m) => [m.name, m.steps, m.guidance, m.scheduler?.timestep_spacing]),
      [
        ['teacher DPM-Solver++ 25', 25, GUIDANCE, 'trailing'],
        ['teacher DPM-Solver++ 8', 8, GUIDANCE, 'trailing'],
        ['teacher DPM-Solver++ 4', 4, GUIDANCE, 'trailing'],
        ['teacher DDIM 25', 25, GUIDANCE, 'trailing'],
        ['teacher DDIM 8', 8, GUIDANCE, 'trailing'],
        ['teacher DDIM 4', 4, GUIDANCE, 'trailing'],
        ['teacher DDIM 4 (leading, diffusers default)', 4, GUIDANCE, 'leading'],
      ],
    );
    assert.deepEqual(
      methods.filter((m) => !m.name.startsWith('teacher')).map((m) => [m.name, m.guidance]),
      [
        ['LCM 1', 4],
        ['LCM 2', 4],
        ['LCM 4', 4],
        ['LCM 8', 4],
        ['LCM-LoRA 4', 1],
        ['PD 1', 0],
        ['PD 2', 0],
        ['PD 4', 0],
        ['PD 8', 0],
        ['Turbo 1', 0],
        ['Turbo 2', 0],
        ['Turbo 4', 0],
        ['Lightning 1', 0],
        ['Lightning 2', 0],
        ['Lightning 4', 0],
      ],
    );
    const ids = methods.map(methodId);
    assert.equal(new Set(ids).size, ids.length, 'every row is a different method');
  });

  test('Turbo and Lightning rows appear when their folders exist, at their own default guidance', () => {
    const root = modelsWith(['scenes-teacher', 'scenes-turbo', 'scenes-lightning-4', 'scenes-lightning-2'], false);
    try {
      const methods = evalMethods(root, () => 0.5);
      assert.deepEqual(
        methods.filter((m) => /^(Turbo|Lightning)/.test(m.name)).map((m) => [m.name, m.family, m.steps, m.guidance]),
        [
          ['Turbo 1', 'Turbo', 1, 0.5],
          ['Turbo 2', 'Turbo', 2, 0.5],
          ['Turbo 4', 'Turbo', 4, 0.5],
          ['Lightning 2', 'Lightning', 2, 0.5],
          ['Lightning 4', 'Lightning', 4, 0.5],
        ],
      );
      assert.ok(!methods.some((m) => m.family === 'LCM-LoRA'), 'no LoRA file, no LCM-LoRA row');
      assert.ok(!methods.some((m) => m.family === 'PD'), 'no student folders, no PD rows');
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
