// Writes data/published-results.json: the published figures the course cites, one record per number.
// Transcribed by hand from the project's reference notes (published-results.md), which say for each
// figure who measured it, on what, and where. Run: node data/make-published-results.mjs [out.json]
//
// Rules kept here:
// - one `table` id = one source table and ONE protocol (dataset, sample count, resolution, guidance);
//   a chart shows one table id per panel, never two on one quality axis;
// - `secondary: true` where the notes read the number in a transcription of the paper's table;
// - `derived: true` for numbers we worked out (the compute floor), not a source's measurement.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const arxiv = (id) => ({ arxiv: id, url: `https://arxiv.org/abs/${id}` });

/** Sources, by key. */
const SOURCES = {
  ddim: { paper: 'Denoising Diffusion Implicit Models', source: 'Song, Meng, Ermon, ICLR 2021', ...arxiv('2010.02502') },
  cm: { paper: 'Consistency Models', source: 'Song, Dhariwal, Chen, Sutskever, ICML 2023', ...arxiv('2303.01469') },
  ict: { paper: 'Improved Techniques for Training Consistency Models', source: 'Song, Dhariwal, ICLR 2024', ...arxiv('2310.14189') },
  pd: { paper: 'Progressive Distillation for Fast Sampling of Diffusion Models', source: 'Salimans, Ho, ICLR 2022', ...arxiv('2202.00512') },
  dpmSolver: { paper: 'DPM-Solver: A Fast ODE Solver for Diffusion Probabilistic Model Sampling in Around 10 Steps', source: 'Lu et al., NeurIPS 2022', ...arxiv('2206.00927') },
  dpmSolverPP: { paper: 'DPM-Solver++: Fast Solver for Guided Sampling of Diffusion Probabilistic Models', source: 'Lu et al., 2022', ...arxiv('2211.01095') },
  lcm: { paper: 'Latent Consistency Models: Synthesizing High-Resolution Images with Few-Step Inference', source: 'Luo, Tan, Huang, Li, Zhao, 2023', ...arxiv('2310.04378') },
  dmd: { paper: 'One-step Diffusion with Distribution Matching Distillation', source: 'Yin et al., CVPR 2024', ...arxiv('2311.18828') },
  add: { paper: 'Adversarial Diffusion Distillation', source: 'Sauer, Lorenz, Blattmann, Rombach, 2023', ...arxiv('2311.17042') },
  sdxlTurbo: { paper: 'Introducing SDXL Turbo (announcement)', source: 'Stability AI, November 2023', url: 'https://stability.ai/news/stability-ai-sdxl-turbo' },
  ortReadme: {
    paper: 'ONNX Runtime Stable Diffusion README',
    source: 'microsoft/onnxruntime',
    url: 'https://github.com/microsoft/onnxruntime/blob/main/onnxruntime/python/tools/transformers/models/stable_diffusion/README.md',
  },
  ortOliveBlog: {
    paper: 'Accelerating SD Turbo and SDXL Turbo Inference with ONNX Runtime and Olive',
    source: 'Hugging Face blog, 2024',
    url: 'https://huggingface.co/blog/sdxl_ort_inference',
  },
  stableFast: { paper: 'stable-fast README', source: 'chengzeyi/stable-fast', url: 'https://github.com/chengzeyi/stable-fast' },
  lcmLoraBlog: { paper: 'SDXL in 4 steps with Latent Consistency LoRAs', source: 'Hugging Face blog, November 2023', url: 'https://huggingface.co/blog/lcm_lora' },
  fastsdcpu: { paper: 'FastSD CPU README', source: 'rupeshs/fastsdcpu', url: 'https://github.com/rupeshs/fastsdcpu' },
  floor: {
    paper: 'Compute floor of Stable Diffusion 1.5 (derived)',
    source: 'multiply-adds counted in the diffusers Stable Diffusion 1.5 configuration (fewstep reference notes)',
    url: 'https://huggingface.co/runwayml/stable-diffusion-v1-5',
  },
  h100: { paper: 'NVIDIA H100 Tensor Core GPU datasheet', source: 'NVIDIA', url: 'https://www.nvidia.com/en-us/data-center/h100/' },
  a100: { paper: 'NVIDIA A100 Tensor Core GPU datasheet', source: 'NVIDIA', url: 'https://www.nvidia.com/en-us/data-center/a100/' },
  t4: { paper: 'NVIDIA T4 Tensor Core GPU datasheet', source: 'NVIDIA', url: 'https://www.nvidia.com/en-us/data-center/tesla-t4/' },
};

/**
 * Tables: one protocol each. `rows` are [method, steps, value, extra?] per metric.
 * Shared fields (metric, unit, better, hardware, resolution, guidance, secondary...) sit on the table
 * and are copied onto every row, so each row stands alone.
 */
const TABLES = [
  {
    table: 'ddim-cifar10-fid50k',
    src: 'ddim',
    sourceTable: 'Table 1',
    dataset: 'CIFAR-10',
    protocol: 'CIFAR-10 32x32, FID on 50k samples',
    secondary: false,
    metrics: [
      {
        metric: 'FID', unit: 'FID', better: 'lower',
        rows: [
          ...[10, 20, 50, 100, 1000].map((s, i) => ['DDIM (eta=0)', s, [13.36, 6.84, 4.67, 4.16, 4.04][i]]),
          ...[10, 20, 50, 100, 1000].map((s, i) => ['DDPM (eta=1)', s, [41.07, 18.36, 8.01, 5.78, 4.73][i]]),
        ],
      },
    ],
  },
  ...[
    ['cm-cifar10-fid', 'CIFAR-10', 'CIFAR-10 32x32, FID', [8.34, 5.58, 3.55, 2.93, 8.7, 5.83], ['EDM (teacher)', 35, 2.04]],
    ['cm-imagenet64-fid', 'ImageNet 64x64', 'ImageNet 64x64 (class-conditional), FID', [15.39, 8.95, 6.2, 4.7, 13.0, 11.1], ['EDM (teacher)', 79, 2.44]],
  ].map(([table, dataset, protocol, v, teacher]) => ({
    table,
    src: 'cm',
    sourceTable: 'Tables 1-2',
    dataset,
    protocol,
    secondary: false,
    note: 'PD = the authors\' re-run of progressive distillation, CD = consistency distillation, CT = consistency training; the teacher\'s count is in NFE (network evaluations).',
    metrics: [
      {
        metric: 'FID', unit: 'FID', better: 'lower',
        rows: [
          ['Progressive Distillation (PD)', 1, v[0]], ['Progressive Distillation (PD)', 2, v[1]],
          ['Consistency Distillation (CD)', 1, v[2]], ['Consistency Distillation (CD)', 2, v[3]],
          ['Consistency Training (CT)', 1, v[4]], ['Consistency Training (CT)', 2, v[5]],
          [teacher[0], teacher[1], teacher[2], { stepsCounted: 'NFE' }],
        ],
      },
    ],
  })),
  ...[
    ['ict-cifar10-fid', 'CIFAR-10', 'CIFAR-10 32x32, FID', [2.51, 2.24]],
    ['ict-imagenet64-fid', 'ImageNet 64x64', 'ImageNet 64x64 (class-conditional), FID', [3.25, 2.77]],
  ].map(([table, dataset, protocol, v]) => ({
    table, src: 'ict', sourceTable: 'Abstract', dataset, protocol, secondary: false,
    metrics: [{ metric: 'FID', unit: 'FID', better: 'lower', rows: [['iCT', 1, v[0]], ['iCT', 2, v[1]]] }],
  })),
  {
    table: 'pd-cifar10-fid',
    src: 'pd',
    sourceTable: 'per-step CIFAR-10 results (read in a transcription)',
    dataset: 'CIFAR-10',
    protocol: 'CIFAR-10 32x32, FID',
    secondary: true,
    metrics: [
      {
        metric: 'FID', unit: 'FID', better: 'lower',
        rows: [
          ['Progressive Distillation', 1, 9.12], ['Progressive Distillation', 2, 4.51],
          ['Progressive Distillation', 4, 3.0, { note: 'the abstract itself states "FID of 3.0 on CIFAR-10 in 4 steps"' }],
          ['Progressive Distillation', 8, 2.57],
        ],
      },
    ],
  },
  {
    table: 'dpm-solver-cifar10-fid',
    src: 'dpmSolver',
    sourceTable: 'Abstract',
    dataset: 'CIFAR-10',
    protocol: 'CIFAR-10 32x32, FID',
    secondary: false,
    metrics: [{ metric: 'FID', unit: 'FID', better: 'lower', rows: [['DPM-Solver', 10, 4.7, { stepsCounted: 'NFE' }], ['DPM-Solver', 20, 2.87, { stepsCounted: 'NFE' }]] }],
  },
  {
    table: 'lcm-laion-aes6-512-g8',
    src: 'lcm',
    sourceTable: 'Table 1',
    dataset: 'LAION-Aesthetics-6+',
    protocol: 'LAION-Aesthetics-6+, 512x512, teacher Stable Diffusion 2.1-base, guidance scale 8',
    secondary: true,
    resolution: 512,
    guidance: 8,
    note: 'Multi-step baselines use classifier-free guidance (2 UNet evaluations per step); LCM uses 1 (guidance distilled in). CLIP score with ViT-g/14, x100.',
    metrics: [
      {
        metric: 'FID', unit: 'FID', better: 'lower',
        rows: [
          ['DDIM', [183.29, 81.05, 22.38, 13.83], { nfePerStep: 2 }],
          ['DPM-Solver++', [185.78, 72.81, 18.43, 12.2], { nfePerStep: 2 }],
          ['Guided-Distill', [108.21, 33.25, 15.12, 13.89], {}],
          ['LCM', [35.36, 13.31, 11.1, 11.84], { nfePerStep: 1 }],
        ].flatMap(([m, v, extra]) => [1, 2, 4, 8].map((s, i) => [m, s, v[i], extra])),
      },
      {
        metric: 'CLIP score (ViT-g/14, x100)', unit: 'CLIP score x100', better: 'higher',
        rows: [
          ['DDIM', [25.89, 29.29], { nfePerStep: 2 }],
          ['DPM-Solver++', [26.64, 29.55], { nfePerStep: 2 }],
          ['Guided-Distill', [27.25, 28.17], {}],
          ['LCM', [28.69, 28.84], { nfePerStep: 1 }],
        ].flatMap(([m, v, extra]) => [4, 8].map((s, i) => [m, s, v[i], extra])),
      },
    ],
  },
  {
    table: 'dmd-coco2014-30k-512-g8',
    src: 'dmd',
    sourceTable: 'Table 4',
    dataset: 'COCO-2014',
    protocol: 'zero-shot COCO-2014, 30k prompts, 512x512, Stable Diffusion 1.5, guidance scale 8',
    secondary: true,
    resolution: 512,
    guidance: 8,
    metrics: [
      {
        metric: 'FID', unit: 'FID', better: 'lower',
        rows: [['LCM-LoRA', 1, 77.9], ['LCM-LoRA', 2, 24.28], ['LCM-LoRA', 4, 23.62], ['DPM++', 4, 22.44], ['SD 1.5 (teacher)', null, 13.45], ['DMD', 1, 14.93]],
      },
      {
        metric: 'CLIP score', unit: 'CLIP score', better: 'higher',
        rows: [['LCM-LoRA', 1, 0.238], ['LCM-LoRA', 2, 0.294], ['LCM-LoRA', 4, 0.297], ['DPM++', 4, 0.309], ['SD 1.5 (teacher)', null, 0.322], ['DMD', 1, 0.32]],
      },
    ],
  },
  {
    table: 'dmd-coco2014-30k-512-g3',
    src: 'dmd',
    sourceTable: 'Table 3',
    dataset: 'COCO-2014',
    protocol: 'zero-shot COCO-2014, 30k prompts, 512x512, Stable Diffusion 1.5 family, guidance scale 3',
    secondary: true,
    resolution: 512,
    guidance: 3,
    metrics: [
      {
        metric: 'FID', unit: 'FID', better: 'lower',
        rows: [['SD 1.5 + PNDM', 50, 8.78], ['LCM-LoRA', 4, 23.62], ['DPM++', 4, 22.36], ['UniPC', 4, 19.57], ['InstaFlow-0.9B', 1, 13.1], ['DMD', 1, 11.49]],
      },
      {
        metric: 'latency', unit: 's', better: 'lower', hardware: 'A100',
        rows: [['SD 1.5 + PNDM', 50, 2.59], ['LCM-LoRA', 4, 0.19], ['DPM++', 4, 0.26], ['UniPC', 4, 0.26], ['InstaFlow-0.9B', 1, 0.09], ['DMD', 1, 0.09]],
      },
    ],
  },
  {
    table: 'add-coco2017-5k',
    src: 'add',
    sourceTable: 'Table 2',
    dataset: 'COCO-2017',
    protocol: 'COCO-2017, 5k prompts, zero-shot FID / CLIP score, 512x512',
    secondary: true,
    resolution: 512,
    metrics: [
      {
        metric: 'FID', unit: 'FID', better: 'lower',
        rows: [
          ['SD 1.5 + DPM-Solver', 25, 20.1], ['SD 1.5 + DPM-Solver', 8, 31.7],
          ['Progressive Distillation', 1, 37.2], ['Progressive Distillation', 2, 26.0], ['Progressive Distillation', 4, 26.4],
          ['InstaFlow-0.9B', 1, 23.4], ['ADD-M', 1, 19.7],
        ],
      },
      {
        metric: 'CLIP score', unit: 'CLIP score', better: 'higher',
        rows: [['SD 1.5 + DPM-Solver', 25, 0.318], ['SD 1.5 + DPM-Solver', 8, 0.32], ['InstaFlow-0.9B', 1, 0.304], ['ADD-M', 1, 0.326]],
      },
      {
        metric: 'latency', unit: 's', better: 'lower', hardware: 'A100',
        rows: [['SD 1.5 + DPM-Solver', 25, 0.88], ['SD 1.5 + DPM-Solver', 8, 0.34], ['InstaFlow-0.9B', 1, 0.09], ['ADD-M', 1, 0.09]],
      },
    ],
  },
  {
    table: 'sdxl-turbo-a100-512',
    src: 'sdxlTurbo',
    sourceTable: 'announcement text',
    dataset: 'none (speed)',
    protocol: 'SDXL-Turbo, 512x512, A100, 1 step',
    secondary: false,
    resolution: 512,
    metrics: [
      {
        metric: 'latency', unit: 'ms', better: 'lower', hardware: 'A100',
        rows: [['SDXL-Turbo (end to end)', 1, 207], ['SDXL-Turbo (one UNet evaluation)', 1, 67]],
      },
    ],
  },
  {
    table: 'ort-sd15-512-50steps',
    src: 'ortReadme',
    sourceTable: 'README benchmark table',
    dataset: 'none (speed)',
    protocol: 'Stable Diffusion 1.5, 512x512, 50 steps with classifier-free guidance, fp16, batch 1, end-to-end latency',
    secondary: false,
    resolution: 512,
    metrics: [
      {
        metric: 'latency', unit: 's', better: 'lower',
        rows: [
          ['ORT CUDA EP', 50, 1.1, { hardware: 'A100' }],
          ['ORT CUDA EP', 50, 5.5, { hardware: 'T4 (clocks locked at 990 MHz)' }],
          ['ORT TensorRT EP + CUDA graph', 50, 4.7, { hardware: 'T4 (clocks locked at 990 MHz)' }],
          ['PyTorch 2.0', 50, 6.4, { hardware: 'T4 (clocks locked at 990 MHz)' }],
        ],
      },
    ],
  },
  {
    table: 'ort-olive-sd-turbo-a100-512',
    src: 'ortOliveBlog',
    sourceTable: 'throughput charts (values read off the charts, +-0.2 images/s)',
    dataset: 'none (speed)',
    protocol: 'SD-Turbo, 512x512, fp16, batch 1, A100',
    secondary: false,
    resolution: 512,
    hardware: 'A100',
    note: 'Read off bar charts: about +-0.2 images/s.',
    metrics: [
      { metric: 'throughput', unit: 'images/s', better: 'higher', rows: [['SD-Turbo, ORT CUDA', 1, 26.2], ['SD-Turbo, PyTorch compiled', 1, 21.3], ['SD-Turbo, ORT CUDA', 4, 14.6]] },
      { metric: 'latency', unit: 'ms', better: 'lower', rows: [['SD-Turbo, ORT CUDA', 1, 38], ['SD-Turbo, ORT CUDA', 4, 69]] },
    ],
  },
  {
    table: 'stable-fast-sd15-512-its',
    src: 'stableFast',
    sourceTable: 'README performance table',
    dataset: 'none (speed)',
    protocol: 'Stable Diffusion 1.5, 512x512, batch 1, fp16, with classifier-free guidance, UNet iterations per second',
    secondary: false,
    resolution: 512,
    metrics: [
      {
        metric: 'iterations per second', unit: 'it/s', better: 'higher',
        rows: [
          ['PyTorch', null, 54.5, { hardware: 'H100' }], ['torch.compile', null, 66.0, { hardware: 'H100' }], ['stable-fast', null, 104.6, { hardware: 'H100' }],
          ['PyTorch', null, 35.6, { hardware: 'A100' }], ['torch.compile', null, 41.9, { hardware: 'A100' }], ['stable-fast', null, 61.8, { hardware: 'A100' }],
        ],
      },
    ],
  },
  {
    table: 'lcm-lora-sdxl-1024',
    src: 'lcmLoraBlog',
    sourceTable: 'speed comparison in the text',
    dataset: 'none (speed)',
    protocol: 'SDXL, 1024x1024, LCM-LoRA 4 steps vs SDXL 25 steps, latency per image',
    secondary: false,
    resolution: 1024,
    metrics: [
      {
        metric: 'latency', unit: 's', better: 'lower',
        rows: [
          ['SDXL + LCM-LoRA', 4, 8.4, { hardware: 'T4' }], ['SDXL', 25, 26.5, { hardware: 'T4' }],
          ['SDXL + LCM-LoRA', 4, 0.7, { hardware: 'RTX 4090' }], ['SDXL', 25, 3.4, { hardware: 'RTX 4090' }],
          ['SDXL + LCM-LoRA', 4, 1.2, { hardware: 'A100' }], ['SDXL', 25, 3.8, { hardware: 'A100' }],
        ],
      },
    ],
  },
  {
    table: 'fastsdcpu-sd-turbo-512',
    src: 'fastsdcpu',
    sourceTable: 'README benchmark',
    dataset: 'none (speed)',
    protocol: 'SD-Turbo, 1 step, 512x512, CPU latency per image',
    secondary: false,
    resolution: 512,
    hardware: 'Core i7-12700',
    metrics: [
      { metric: 'latency', unit: 's', better: 'lower', rows: [['PyTorch', 1, 7.8], ['OpenVINO', 1, 5.0], ['OpenVINO + TAESD', 1, 1.7]] },
    ],
  },
  {
    table: 'sd15-compute-floor',
    src: 'floor',
    sourceTable: 'derived: multiply-adds of one network evaluation',
    dataset: 'none (compute)',
    protocol: 'Stable Diffusion 1.5 architecture, TFLOP per evaluation (2 FLOP per multiply-add), batch 1',
    secondary: false,
    derived: true,
    metrics: [
      {
        metric: 'compute per evaluation', unit: 'TFLOP', better: 'lower',
        rows: [
          ['UNet', 1, 0.18, { resolution: 256 }], ['UNet', 1, 0.8, { resolution: 512 }], ['UNet', 1, 2.15, { resolution: 768 }], ['UNet', 1, 4.67, { resolution: 1024 }],
          ['VAE decoder', null, 2.5, { resolution: 512 }], ['VAE decoder', null, 10.5, { resolution: 1024 }],
          ['CLIP text encoder', null, 0.013],
        ],
      },
      {
        metric: 'lower bound on time at dense fp16 peak', unit: 'ms', better: 'lower',
        rows: [
          ['one 512 px CFG step (2 UNet evaluations)', 1, 1.62, { hardware: 'H100', resolution: 512 }],
          ['one 512 px CFG step (2 UNet evaluations)', 1, 24.7, { hardware: 'T4', resolution: 512 }],
          ['whole 1-step model (text encoder + UNet + VAE decoder)', 1, 3.4, { hardware: 'H100', resolution: 512, note: 'three quarters of it the VAE decoder' }],
        ],
      },
      {
        metric: 'fraction of dense fp16 peak reached by the best published record', unit: '%', better: 'higher',
        rows: [['stable-fast', null, 17, { hardware: 'H100', note: 'about 17%' }], ['TensorRT', null, 31, { hardware: 'A100', note: 'about 31%' }]],
      },
    ],
  },
  ...[
    ['h100', 'H100', 989],
    ['a100', 'A100', 312],
    ['t4', 'T4', 65],
  ].map(([src, hw, v]) => ({
    table: `peak-fp16-${src}`,
    src,
    sourceTable: 'datasheet',
    dataset: 'none (hardware)',
    protocol: 'dense fp16 tensor-core peak (no sparsity)',
    secondary: false,
    hardware: hw,
    metrics: [{ metric: 'peak fp16 throughput', unit: 'TFLOP/s', better: 'higher', rows: [[hw, null, v]] }],
  })),
];

/** Statements without a number to plot: show them as text, never as points. */
const QUALITATIVE = [
  { ...cite('dpmSolverPP', 'Abstract'), claim: 'DPM-Solver++ gives good guided samples in 15-20 steps.' },
  { ...cite('sdxlTurbo', 'announcement text'), claim: 'In blind human preference tests SDXL-Turbo at 1 step beats LCM-XL at 4 steps, and SDXL-Turbo at 4 steps beats SDXL at 50 steps.' },
  { paper: null, citation: null, claim: 'No verified table was found for SDXL-Lightning, Hyper-SD, TCD or LCM-LoRA at 8 steps: show them as qualitative, or leave them out.' },
];

function cite(key, table) {
  const s = SOURCES[key];
  if (!s) throw new Error(`unknown source ${key}`);
  const citation = { source: s.source, table };
  if (s.arxiv) citation.arxiv = s.arxiv;
  if (s.url) citation.url = s.url;
  return { paper: s.paper, citation };
}

const rows = [];
for (const t of TABLES) {
  for (const m of t.metrics) {
    for (const [method, steps, value, extra = {}] of m.rows) {
      const row = {
        table: t.table,
        ...cite(t.src, t.sourceTable),
        dataset: t.dataset,
        protocol: t.protocol,
        metric: m.metric,
        unit: m.unit,
        better: m.better,
        method,
        steps,
        value,
        secondary: t.secondary,
      };
      const hardware = extra.hardware ?? m.hardware ?? t.hardware;
      if (hardware !== undefined) row.hardware = hardware;
      const resolution = extra.resolution ?? t.resolution;
      if (resolution !== undefined) row.resolution = resolution;
      if (t.guidance !== undefined) row.guidance = t.guidance;
      if (extra.stepsCounted) row.stepsCounted = extra.stepsCounted;
      if (extra.nfePerStep !== undefined) row.nfePerStep = extra.nfePerStep;
      if (t.derived) row.derived = true;
      const note = [t.note, extra.note].filter(Boolean).join(' ');
      if (note) row.note = note;
      rows.push(row);
    }
  }
}

const out = {
  description:
    'Published figures the fewstep course cites, one record per number, each with its citation. ' +
    'Rows with the same `table` share one protocol: chart one table per panel, never two tables on one quality axis. ' +
    '`secondary: true` = read in a transcription of the paper\'s table (cite the paper, keep the flag). ' +
    '`derived: true` = worked out by counting multiply-adds, not measured by anyone. ' +
    '`steps` is null where the source gives none; `stepsCounted: "NFE"` where the count is network evaluations. ' +
    'Generated by data/make-published-results.mjs.',
  rows,
  qualitative: QUALITATIVE,
};
// Optional argument: another output path (the tests regenerate into a temp file and compare).
const file = process.argv[2] ?? fileURLToPath(new URL('./published-results.json', import.meta.url));
// One record per line: diffs show exactly which number changed.
const lines = (xs) => xs.map((x) => '  ' + JSON.stringify(x)).join(',\n');
const text = `{\n "description": ${JSON.stringify(out.description)},\n "rows": [\n${lines(out.rows)}\n ],\n "qualitative": [\n${lines(out.qualitative)}\n ]\n}\n`;
JSON.parse(text);
writeFileSync(file, text);
console.log(`${rows.length} rows in ${new Set(rows.map((r) => r.table)).size} tables -> ${file}`);
