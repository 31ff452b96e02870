import { joinIsolationTests } from './joins-tests.ts';

joinIsolationTests('postgres');
