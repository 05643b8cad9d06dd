/** is-git-ref-name-valid ships no types: `validRef(name, onelevel?)` is true when git accepts `name` as a ref name. */
declare module 'is-git-ref-name-valid' {
  function validRef(name: string, onelevel?: boolean): boolean;
  export = validRef;
}
