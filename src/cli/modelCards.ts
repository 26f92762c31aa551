/** Placeholder: replaced by the card generator. */
export function writeModelCards(_modelsDir: string, _evalFile: string): string[] {
  return [];
}
