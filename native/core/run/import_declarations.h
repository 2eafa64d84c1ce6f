#ifndef CODE_INTERPRETER_CORE_RUN_IMPORT_DECLARATIONS_H_
#define CODE_INTERPRETER_CORE_RUN_IMPORT_DECLARATIONS_H_

#include <string>
#include <string_view>

namespace ci {

/**
 * The sandbox's code runs as a script or a function body, where V8 refuses import
 * declarations. Each one at the top level of `code` is rewritten to a declaration that takes
 * the same bindings from `require.import(specifier)` (core/modules/module_loader.h), on the
 * same lines, so positions in errors stay the code's own:
 *
 *   import d, { a, b as c } from 'm'  ->  const { default: d, a, b: c } = require.import('m');
 *   import * as ns from 'm'           ->  const ns = require.import('m');
 *   import 'm'                        ->  require.import('m');
 *
 * The bindings are constants, as import bindings are (not live: the module is evaluated by
 * then). Import attributes (`with { type: 'json' }`) are dropped: the file's extension says
 * what it is. False, with `out` untouched, when the code has no import declaration.
 */
bool RewriteImportDeclarations(std::string_view code, std::string* out);

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_RUN_IMPORT_DECLARATIONS_H_
