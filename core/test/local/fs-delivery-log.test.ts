import { join } from 'node:path';
import { FsDeliveryLog } from '#core/local/fs-delivery-log.ts';
import { describeDeliveryLogContract } from '#core/webhooks/testing/delivery-log-contract.ts';
import { useTempRoot } from '../helpers/temp-dir.ts';

const newDir = useTempRoot('delivery-log');

describeDeliveryLogContract('FsDeliveryLog', async () => ({
  log: new FsDeliveryLog({ root: join(newDir(), 'bucket') }),
}));
