/**
 * The API and worker processes run against servers someone else started; `npm start` is the way to get
 * embedded ones. A missing setting is named with both remedies.
 */
export function requireSetting(name: string, value: string | undefined): string {
  if (!value) {
    throw new Error(`${name} is not set. Set it to your server, or run \`npm start\` to start the embedded stack.`);
  }
  return value;
}
