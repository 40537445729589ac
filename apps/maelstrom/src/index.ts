export async function main(_argv: string[]): Promise<number> {
  process.stderr.write('synod-maelstrom: not implemented yet\n')
  return 1
}
