import { createServer, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startFakeLlm } from '../../test/fake-llm/index.js';
import { isAssistError } from '../errors.js';
import { bestOllamaModel, chooseModel, describeChoice, ollamaUrl, probeOllama, type ChooseModelOptions } from './choose-model.js';

const noOllama = { probeOllama: null } as const;

async function failure(options: ChooseModelOptions): Promise<unknown> {
  try {
    await chooseModel(options);
  } catch (error) {
    return error;
  }
  throw new Error('expected no model');
}

describe('chooseModel', () => {
  it('--model, then ASSIST_MODEL, then config, then a key', async () => {
    const env = { ASSIST_MODEL: 'openai/gpt-4.1-mini', ANTHROPIC_API_KEY: 'k' };
    const config = { model: 'ollama/llama3.1', where: '.assist.toml:2' };
    expect(await chooseModel({ flag: 'openai/o3', env, config, ...noOllama })).toEqual({ model: 'openai/o3', source: 'flag', why: '--model' });
    expect(await chooseModel({ env, config, ...noOllama })).toEqual({ model: 'openai/gpt-4.1-mini', source: 'env', why: 'ASSIST_MODEL is set' });
    expect(await chooseModel({ env: { ANTHROPIC_API_KEY: 'k' }, config, ...noOllama })).toEqual({ model: 'ollama/llama3.1', source: 'config', why: 'model in .assist.toml:2' });
    expect(await chooseModel({ env: { ANTHROPIC_API_KEY: 'k', ASSIST_MODEL: ' ' }, config: {}, ...noOllama })).toMatchObject({ model: 'anthropic/claude-sonnet-5-5', source: 'key' });
  });

  it('the first provider with a key gives its default: Anthropic, OpenAI, then Gemini', async () => {
    const all = { ANTHROPIC_API_KEY: 'a', OPENAI_API_KEY: 'o', GEMINI_API_KEY: 'g' };
    expect(await chooseModel({ env: all, ...noOllama })).toEqual({ model: 'anthropic/claude-sonnet-5-5', source: 'key', why: 'ANTHROPIC_API_KEY is set' });
    expect(await chooseModel({ env: { ...all, ANTHROPIC_API_KEY: '' }, ...noOllama })).toEqual({ model: 'openai/gpt-4.1', source: 'key', why: 'OPENAI_API_KEY is set' });
    expect(await chooseModel({ env: { GEMINI_API_KEY: 'g' }, ...noOllama })).toEqual({ model: 'google/gemini-2.5-pro', source: 'key', why: 'GEMINI_API_KEY is set' });
    expect(await chooseModel({ env: { GOOGLE_API_KEY: 'g' }, ...noOllama })).toMatchObject({ model: 'google/gemini-2.5-pro', why: 'GOOGLE_API_KEY is set' });
  });

  it('a configured api_key_env or api_key_cmd is a key; the default variable is then not looked at', async () => {
    const llm = { anthropic: { api_key_env: 'WORK_ANTHROPIC' }, openai: { api_key_cmd: 'pass show openai' } };
    expect(await chooseModel({ env: { WORK_ANTHROPIC: 'k' }, config: { llm }, ...noOllama })).toMatchObject({ model: 'anthropic/claude-sonnet-5-5', why: 'WORK_ANTHROPIC is set' });
    expect(await chooseModel({ env: { ANTHROPIC_API_KEY: 'k' }, config: { llm }, ...noOllama })).toMatchObject({ model: 'openai/gpt-4.1', why: 'llm.openai.api_key_cmd is set' });
  });

  it('with no key, a local Ollama that lists models gives its best coding model', async () => {
    await using server = await startFakeLlm();
    server.models = ['llama3.1:8b', 'deepseek-coder-v2:16b', 'qwen2.5-coder:latest', 'mistral'];
    const choice = await chooseModel({ env: { OLLAMA_HOST: server.url } });
    expect(choice).toEqual({ model: 'ollama/qwen2.5-coder', source: 'ollama', why: `no API key is set, and Ollama at ${server.url} has it` });
    expect(server.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /api/tags']);
    // llm.ollama.base_url wins over OLLAMA_HOST, as it does for requests.
    server.models = ['gemma3'];
    expect(await chooseModel({ env: { OLLAMA_HOST: 'http://127.0.0.1:9' }, config: { llm: { ollama: { base_url: server.url } } } })).toMatchObject({ model: 'ollama/gemma3' });
  });

  it('none of them: a usage error (exit 2) naming the variables, Ollama and --model', async () => {
    await using server = await startFakeLlm();
    server.models = [];
    const error = await failure({ env: { OLLAMA_HOST: server.url, OPENAI_BASE_URL: 'http://x' } });
    expect(isAssistError(error) && { code: error.code, exitCode: error.exitCode }).toEqual({ code: 'llm.no-model', exitCode: 2 });
    const message = (error as Error).message;
    for (const word of ['ANTHROPIC_API_KEY', 'OPENAI_API_KEY', 'GEMINI_API_KEY', 'Ollama', '--model']) expect(message).toContain(word);
    expect(message).not.toContain('\n');
    expect(server.requests.map((r) => r.path)).toEqual(['/api/tags']);
  });

  it('says which and why, and how to change it unless --model chose it', () => {
    expect(describeChoice({ model: 'anthropic/claude-sonnet-5-5', source: 'key', why: 'ANTHROPIC_API_KEY is set' })).toBe(
      'using anthropic/claude-sonnet-5-5: ANTHROPIC_API_KEY is set; --model to change',
    );
    expect(describeChoice({ model: 'openai/o3', source: 'flag', why: '--model' })).toBe('using openai/o3: --model');
  });
});

describe('the Ollama probe', () => {
  it('an address where nothing listens is no Ollama', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise<void>((resolve) => server.close(() => resolve()));
    expect(await probeOllama(`http://127.0.0.1:${port}`)).toBeNull();
  });

  it('a server that accepts and never answers is given up on within the short timeout', async () => {
    const sockets = new Set<Socket>();
    const server = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      const started = performance.now();
      expect(await probeOllama(`http://127.0.0.1:${port}`)).toBeNull();
      expect(performance.now() - started).toBeLessThan(2000);
      expect(sockets.size).toBe(1);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('reads OLLAMA_HOST as the ollama client does', () => {
    expect(ollamaUrl(undefined)).toBe('http://127.0.0.1:11434');
    expect(ollamaUrl('')).toBe('http://127.0.0.1:11434');
    expect(ollamaUrl('0.0.0.0')).toBe('http://127.0.0.1:11434');
    expect(ollamaUrl('gpu-box:8080')).toBe('http://gpu-box:8080');
    expect(ollamaUrl(':9000')).toBe('http://127.0.0.1:9000');
    expect(ollamaUrl('https://ollama.example.com/')).toBe('https://ollama.example.com');
    expect(ollamaUrl('http://127.0.0.1:11434/')).toBe('http://127.0.0.1:11434');
  });

  it('prefers coding models, else the first listed', () => {
    expect(bestOllamaModel(['llama3.1', 'codellama:13b', 'devstral:24b'])).toBe('devstral:24b');
    expect(bestOllamaModel(['llama3.1:latest', 'mistral'])).toBe('llama3.1');
    expect(bestOllamaModel([])).toBeNull();
  });
});
