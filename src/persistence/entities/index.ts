import { LinkCode } from './LinkCode.entity';
import { Notification } from './Notification.entity';
import { ParentChild } from './ParentChild.entity';
import { User } from './User.entity';

export { LinkCode, Notification, ParentChild, User };
export type { Role } from './User.entity';

/** Every entity, registered with the one DataSource definition. */
export const ENTITIES = [User, ParentChild, LinkCode, Notification];
