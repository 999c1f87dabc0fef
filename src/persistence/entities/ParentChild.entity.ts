import { CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { User } from './User.entity';

/** A parent's link to one of their children, made by redeeming the child's link code. */
@Entity({ name: 'parent_children' })
@Index('parent_children_child_idx', ['childId'])
export class ParentChild {
  @PrimaryColumn({ name: 'parent_id', type: 'uuid' })
  parentId!: string;

  @PrimaryColumn({ name: 'child_id', type: 'uuid' })
  childId!: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'parent_id', foreignKeyConstraintName: 'parent_children_parent_fk' })
  parent?: User;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'child_id', foreignKeyConstraintName: 'parent_children_child_fk' })
  child?: User;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
