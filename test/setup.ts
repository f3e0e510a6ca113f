// aws-local-stepfunctions 3.x calls Promise.withResolvers (Node 22+); Node 20 needs this polyfill.
import '../local/polyfills';
