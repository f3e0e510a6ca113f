declare module 'asl-validator' {
  interface AslValidationResult {
    readonly isValid: boolean;
    readonly errors: readonly { readonly 'Error code': string; readonly Message: string }[];
    errorsText(separator?: string): string;
  }
  /** Validates an Amazon States Language definition. */
  function aslValidator(definition: unknown): AslValidationResult;
  export = aslValidator;
}
