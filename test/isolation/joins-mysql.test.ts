import { joinIsolationTests } from './joins-tests.ts';

joinIsolationTests('mysql');
